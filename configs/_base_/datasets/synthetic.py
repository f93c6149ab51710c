# The synthetic set of tools/data/synthetic (128x96 frames, 5 motion classes, frame numbers as
# timestamps). No flipping: it would swap walk_left and walk_right.
dataset_type = 'FrameAVADataset'
data_root = 'data/synthetic'
anno_root = f'{data_root}/annotations'
num_classes = 5 + 1  # classes + the unused index 0 of mmaction's AVA heads

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=8, frame_interval=2),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(96, 112)),
    dict(type='RandomCrop', size=96),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=8, frame_interval=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 96)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

dataset_common = dict(
    type=dataset_type,
    data_prefix=dict(img=f'{data_root}/rawframes'),
    label_file=f'{anno_root}/action_list.pbtxt',
    num_classes=num_classes)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        ann_file=f'{anno_root}/train.csv',
        proposal_file=f'{anno_root}/proposals_train.pkl',
        pipeline=train_pipeline,
        **dataset_common))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=f'{anno_root}/val.csv',
        proposal_file=f'{anno_root}/proposals_val.pkl',
        pipeline=val_pipeline,
        test_mode=True,
        **dataset_common))
test_dataloader = val_dataloader

# frame-mAP@0.5 on the annotated frames of val.csv (every frame, the generator's default, as in
# UCF101-24's protocol) and video-mAP of the tubes linked from them. Consecutive boxes are linked
# at IoU >= 0.4: a circling actor's ground-truth boxes overlap their successors by 0.46 to 1
# (below 0.5 on 15% of frame pairs), every other class's by 0.54 or more. A set written with
# --val-key-frame-stride 4 puts a moving actor's boxes too far apart for any such threshold.
# (tests/datasets/test_synthetic.py::test_consecutive_boxes_overlap_enough_for_the_configs_linking_thresholds)
val_evaluator = [
    dict(type='FrameMAP', gt_file=f'{anno_root}/gt.pkl', ann_file=f'{anno_root}/val.csv'),
    dict(type='VideoMAP', gt_file=f'{anno_root}/gt.pkl', link_iou_thr=0.4),
]
test_evaluator = val_evaluator
