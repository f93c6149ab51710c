# The synthetic TAL set of tools/data/synthetic_tal ('multiscale' preset: 32-d features at 7.5
# steps/s, 4 classes, actions of 2..160 steps, a third of them <= 8): windows of 256 steps at every
# multiple of 64 (the tail windows of <= 102 steps are stitched, in training and test), VSS
# scaled to the window (stitch <= 102 steps with a 6-step gap, clips of 97 steps).
data_root = 'data/synthetic_tal'
ann_file = f'{data_root}/annotations.json'
window_size = 256
stitch = dict(type='VideoSelfStitch', stitch_ratio=0.4, gap=6)
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/features'),
    feature_rate=7.5,
    feature_dim=32,
    window_size=window_size,
    window_stride=window_size // 4)
train_pipeline = [
    dict(type='LoadTALFeature'), stitch, dict(type='PackTALInputs', meta_keys=('stitch', ))
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='VSSCutDataset', subset='training', pipeline=train_pipeline, **windows))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VSGNWindowDataset', subset='validation', pipeline=test_pipeline,
                 test_mode=True, **windows))
test_dataloader = val_dataloader
# Short actions: <= 8 steps (8.5 / 7.5 s keeps float rounding out of the way).
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.46, iou_thr=0., class_agnostic=True),
    max_per_video=200,
    short_max_length=8.5 / 7.5)
test_evaluator = val_evaluator
