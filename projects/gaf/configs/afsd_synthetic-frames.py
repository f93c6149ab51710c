# AFSD end to end on the synthetic frame-level TAL set (tools/data/synthetic_tal,
# generate_frames.py: 32x32 RGB frames at 10 fps, 3 classes among drifting distractors), small
# enough for a CPU: I3D from scratch (trainable BatchNorm: no pretrained statistics), windows of
# 128 frames (every 32 for training, 64 for testing) of whole 32x32 frames, a width-64
# CoarsePyramid with 5 levels (32..2 positions), AFSD's losses and test.
_base_ = ['./_base_/models/afsd_thumos14_e2e.py', './_base_/default_runtime.py']
data_root = 'data/synthetic_tal_frames'
ann_file = f'{data_root}/annotations.json'
model = dict(
    backbone=dict(freeze_bn=False, freeze_bn_affine=False, init_cfg=None),
    num_classes=3,
    window_size=128,
    crop_size=32,
    channels=64,
    num_levels=5,
    frame_channels=64,
    norm_groups=16)
windows = dict(type='TALFrameDataset', ann_file=ann_file,
               data_prefix=dict(frames=f'{data_root}/frames'), window_size=128)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        subset='training',
        window_stride=32,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameRandomCrop', size=32),
            dict(type='TALFrameFlip', flip_ratio=0.5),
            dict(type='PackTALFrames', pad_value=-1.)
        ],
        **windows))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        subset='validation',
        test_mode=True,
        window_stride=64,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameCenterCrop', size=32),
            dict(type='PackTALFrames', pad_value=0.)
        ],
        **windows))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=-1,
    min_score=0.001)
test_evaluator = val_evaluator
# InfiniteSampler: mmengine's iteration loop sleeps 2 s at every end of a DefaultSampler epoch.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=300, by_epoch=False, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
