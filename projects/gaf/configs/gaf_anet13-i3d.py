# GAF on ActivityNet v1.3 with ActionFormer's I3D features (i3d_features/v_{video}.npy, 2048-d,
# 1.5625 steps/s, offset 0.5 step; data/README.md), every video resampled to 96 steps
# (resize='always'), frame-level branch 8x (768 virtual frames), class-agnostic (AFSD scores
# "action" vs background and takes the label from an external video classifier, CUHK's, which
# is not shipped): make the one-class annotation file with
# projects/gaf/tools/class_agnostic_annotations.py. Losses lw 1, cw 1, piou 0.6, background
# pass 700; RGB || flow in one model. Reported: AR@AN and the class-agnostic mAP at tIoU
# 0.5:0.05:0.95.
_base_ = ['./_base_/models/afsd_thumos14.py', './_base_/schedules/adam_16e.py']

data_root = 'data/activitynet'
ann_file = f'{data_root}/annotations/anet1.3_agnostic.json'
window_size = 96
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/i3d_features'),
    feature_rate=1.5625,
    feature_offset=0.5,
    feature_dim=2048,
    feature_name='v_{video}',
    window_size=window_size,
    resize='always')
pipeline = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='TALFeatureDataset', subset='training', pipeline=pipeline, **windows))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFeatureDataset', subset='validation', pipeline=pipeline,
                 test_mode=True, **windows))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=tuple(0.5 + 0.05 * i for i in range(10)),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=True),
    max_per_video=100,
    ar_at_an=(1, 5, 10, 50, 100))
test_evaluator = val_evaluator

model = dict(
    type='GAF',
    in_channels=2048,
    input_range=None,
    window_size=window_size,
    num_classes=1,
    num_levels=6,
    frame_ratio=8,
    lw=1.,
    cw=1.,
    piou=0.6,
    attention=dict(hidden=512, length=2048),
    bg_weight=700.,
    pull_warmup=2000)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-3)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
