# ActivityNet v1.3 with TSN features at 5 steps/s (400-d RGB || flow assumed: set feature_dim and
# the model's in_channels to the width of your files). A video longer than 1280 steps
# (256 s) is resampled to 1280, a shorter one kept native and zero-padded (resize='down_only');
# training adds the clips VSS cuts from videos of > 512 steps (102 s; clips of 486 steps = 97 s).
# Trained on 'training', evaluated on 'validation' at tIoU 0.5:0.05:0.95. See data/README.md and
# tools/data/activitynet/ for the layout and the converter of activity_net.v1-3.min.json.
data_root = 'data/activitynet'
ann_file = f'{data_root}/annotations/anet1.3.json'
window_size = 1280
stitch = dict(type='VideoSelfStitch', stitch_ratio=0.4, gap=30)
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/tsn_features'),
    feature_rate=5.,
    feature_dim=400,
    feature_name='v_{video}',
    window_size=window_size,
    resize='down_only')
train_pipeline = [
    dict(type='LoadTALFeature'), stitch, dict(type='PackTALInputs', meta_keys=('stitch', ))
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VSSCutDataset', subset='training', pipeline=train_pipeline, **windows))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFeatureDataset', subset='validation', pipeline=test_pipeline,
                 test_mode=True, **windows))
test_dataloader = val_dataloader
# Per video: Gaussian soft-NMS with sigma 0.85, class-agnostic, top 100.
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=tuple(0.5 + 0.05 * i for i in range(10)),
    nms=dict(type='soft_nms', sigma=0.85, iou_thr=0., class_agnostic=True),
    max_per_video=100)
test_evaluator = val_evaluator
