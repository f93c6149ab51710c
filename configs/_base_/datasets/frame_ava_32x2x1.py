# VSGT's detection data settings for frame-level AVA-layout sets (FrameAVADataset): clips of
# 32 frames at interval 2 around the key frame, batch 2 per GPU. Training rescales the short side
# to 256..320, crops 224 and flips (boxes follow); testing resizes the short side to 224, keeping
# the aspect ratio. A dataset base adds its files (ann_file, proposal_file, data_prefix,
# label_file, num_classes, filename_tmpl) and evaluators.
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=32, frame_interval=2),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=224),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=32, frame_interval=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='FrameAVADataset', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='FrameAVADataset', pipeline=val_pipeline, test_mode=True))
test_dataloader = val_dataloader
