# VSGT-tiny on 16 consecutive frames scaled to 112 pixels high: a stage-1 token grid of 8x28x28
# in training (8x28x38 on the hard preset's 160x120 val frames), four times the tokens of the
# 8-frame config's 4x24x32 at the same time span. The (8, 7, 7) windows tile time and height
# there and stage 1's reduction uses its full ratio 8 (num_frames=16). Everything else is
# configs/synthetic/vsgt-tiny_synthetic.py.
_base_ = './vsgt-tiny_synthetic.py'

model = dict(backbone=dict(num_frames=16))

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=1),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(112, 128)),
    dict(type='RandomCrop', size=112),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=1, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 112)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
