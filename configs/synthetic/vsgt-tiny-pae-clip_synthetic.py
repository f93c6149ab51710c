# VSGT-tiny with Person Attention Enhancement over the whole clip: each time slice of the backbone
# is marked with the person boxes of the frames it stands for (ground truth and proposals in
# training, proposals in testing), where configs/synthetic/vsgt-tiny-pae_synthetic.py marks the key
# frame's boxes on every slice. The synthetic set boxes every val frame; its training split boxes
# every 4th frame by default, and a frame without boxes takes the nearest annotated frame's.
_base_ = './vsgt-tiny-pae_synthetic.py'

model = dict(type='VSGTFastRCNN', pae_boxes='clip')

clip_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'clip_proposals',
                  'clip_gt_bboxes')
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=8, frame_interval=2),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(96, 112)),
    dict(type='RandomCrop', size=96),
    dict(type='LoadClipPersonBoxes'),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs', meta_keys=clip_meta_keys)
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=8, frame_interval=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 96)),
    dict(type='LoadClipPersonBoxes'),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs', meta_keys=clip_meta_keys)
]
train_dataloader = dict(dataset=dict(clip_person_boxes=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(clip_person_boxes=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
