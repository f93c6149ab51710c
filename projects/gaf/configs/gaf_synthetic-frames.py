# GAF end to end on the synthetic frame-level TAL set (tools/data/synthetic_tal/generate_frames.py,
# 32x32 RGB frames at 10 fps, 3 classes, clutter sprites that are no action), small enough for a
# CPU: windows of 64 frames (Mixed_4f 16 steps of 2x2, Mixed_5c 8 of 1x1; 4 levels), an I3D
# trained from scratch (no pretrained weights; BatchNorm in training mode), AFSD width 64,
# attention width 64; GAF's epoch loop (an epoch of the CVAE, then one of the detector),
# detector AdamW 1e-3.
_base_ = ['./_base_/default_runtime.py']

data_root = 'data/synthetic_tal_frames'
ann_file = f'{data_root}/annotations.json'
model = dict(
    type='GAFE2E',
    backbone=dict(type='InceptionI3D', in_channels=3, freeze_bn=False, freeze_bn_affine=False),
    num_classes=3,
    in_channels=3,
    window_size=64,
    crop_size=32,
    channels=64,
    num_levels=4,
    frame_channels=64,
    norm_groups=16,
    attention_hidden=64,
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=None,
    test_cfg=dict(score_thr=0.01, max_per_window=None))
windows = dict(ann_file=ann_file, data_prefix=dict(frames=f'{data_root}/frames'),
               modality='RGB', frame_rate=10., window_size=64)
train_pipeline = [
    dict(type='LoadTALFrames'),
    dict(type='TALFrameFlip', flip_ratio=0.5),
    dict(type='PackTALFrames', pad_value=-1.)
]
test_pipeline = [dict(type='LoadTALFrames'), dict(type='PackTALFrames', pad_value=0.)]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='TALFrameDataset', subset='training', pipeline=train_pipeline,
                 window_stride=16, **windows))
# One window per batch at test, as the official test.py: the batch-sum normalisation of the
# attention depends on the batch.
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFrameDataset', subset='validation', pipeline=test_pipeline,
                 test_mode=True, window_stride=32, **windows))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=200)
test_evaluator = val_evaluator

train_cfg = dict(type='GAFTrainLoop', max_epochs=6, val_interval=6)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                  clip_grad=dict(max_norm=1, norm_type=2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
