# THUMOS14 with ActionFormer's I3D features (i3d_features/{video}.npy, 2048-d = RGB || flow, 7.5
# steps/s, step i at (i + 2) / 7.5 s; data/README.md), every third step kept (subsample=3: 0.4 s
# per window step), windows of 64 steps (25.6 s, AFSD's 256 frames at 10 fps) every 8 steps for
# training (windows holding >= 1 whole action) and every 32 for testing (OpenTAD's feature AFSD).
# Annotations from tools/data/thumos14/convert_annotations.py: the validation videos are the
# 'training' subset, the test videos 'testing'.
data_root = 'data/thumos14'
ann_file = f'{data_root}/annotations/thumos14.json'
window_size = 64
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/i3d_features'),
    feature_rate=7.5,
    feature_offset=2.,
    feature_dim=2048,
    subsample=3,
    window_size=window_size)
pipeline = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='TALFeatureDataset', subset='training', pipeline=pipeline,
                 window_stride=8, **windows))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFeatureDataset', subset='testing', pipeline=pipeline, test_mode=True,
                 window_stride=32, **windows))
test_dataloader = val_dataloader
# Per video and class: Gaussian soft-NMS (AFSD's sigma 0.5), the 200 best; tIoU 0.3:0.1:0.7.
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='testing',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=200)
test_evaluator = val_evaluator
