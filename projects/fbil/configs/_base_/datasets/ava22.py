# AVA v2.2 (mmaction2's layout, tools/data/ava of mmaction2) under data/ava/, read by mmaction2's
# AVADataset (SafeAVADataset: the same, with the proposals pickle loaded without running code),
# trained and evaluated on the 60 classes of the official evaluation (custom_classes: label
# index i is the i-th of them). The public FBIL recipe's data: 32 frames at interval 2, the short
# side resized to 256, horizontal flips in training; training boxes are the ground truth and the
# FAIR detections scoring >= 0.9, validation boxes the detections scoring >= 0.85.
data_root = 'data/ava'
anno_root = f'{data_root}/annotations'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
# The 60 evaluated action ids; the first 13 are the pose (person movement) classes.
ava60_classes = [
    1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 20, 22, 24, 26, 27, 28, 29, 30, 34, 36,
    37, 38, 41, 43, 45, 46, 47, 48, 49, 51, 52, 54, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66,
    67, 68, 69, 70, 72, 73, 74, 76, 77, 78, 79, 80
]
num_classes = 60 + 1  # classes + the unused index 0 of mmaction's AVA heads

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=32, frame_interval=2),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=32, frame_interval=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

dataset_common = dict(
    type='SafeAVADataset',
    data_prefix=dict(img=f'{data_root}/rawframes'),
    label_file=label_file,
    custom_classes=ava60_classes,
    num_classes=num_classes)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        ann_file=f'{anno_root}/ava_train_v2.2.csv',
        exclude_file=f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv',
        proposal_file=f'{anno_root}/ava_dense_proposals_train.FAIR.recall_93.9.pkl',
        person_det_score_thr=0.9,
        pipeline=train_pipeline,
        **dataset_common))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=f'{anno_root}/ava_val_v2.2.csv',
        exclude_file=f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv',
        proposal_file=f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl',
        person_det_score_thr=0.85,
        pipeline=val_pipeline,
        test_mode=True,
        **dataset_common))
test_dataloader = val_dataloader

# The official AVA evaluation (mmaction2's AVAMetric) and the project's exact frame-mAP@0.5 on
# the same CSV (every class with ground truth counts, detections on frames without ground truth
# are false positives: vsgt/evaluation/README.md), whose ground truth
# projects/fbil/tools/ava_gt.py writes from the CSV.
val_evaluator = [
    dict(
        type='AVAMetric',
        ann_file=f'{anno_root}/ava_val_v2.2.csv',
        exclude_file=f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv',
        label_file=label_file,
        num_classes=num_classes,
        custom_classes=ava60_classes),
    dict(
        type='FrameMAP',
        gt_file=f'{anno_root}/ava_val_v2.2_gt.pkl',
        ann_file=f'{anno_root}/ava_val_v2.2.csv'),
]
test_evaluator = val_evaluator
