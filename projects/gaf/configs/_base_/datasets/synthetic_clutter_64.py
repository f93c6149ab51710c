# The 'clutter' synthetic TAL set of tools/data/synthetic_tal (64-d features at 2.5 steps/s, 3
# classes on channels 0-15, label-free action-like bursts on channels 16-31, actions of 3..48
# steps): windows of 64 steps every 8 for training, every 32 for testing (as THUMOS14 below).
data_root = 'data/synthetic_tal_clutter'
ann_file = f'{data_root}/annotations.json'
window_size = 64
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/features'),
    feature_rate=2.5,
    feature_dim=64,
    window_size=window_size)
pipeline = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='TALFeatureDataset', subset='training', pipeline=pipeline,
                 window_stride=8, **windows))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFeatureDataset', subset='validation', pipeline=pipeline,
                 test_mode=True, window_stride=32, **windows))
test_dataloader = val_dataloader
# Short actions: <= 8 steps (8.5 / 2.5 s keeps float rounding out of the way).
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=200,
    short_max_length=8.5 / 2.5)
test_evaluator = val_evaluator
