# GAF end to end on THUMOS14 RGB frames, as the official GAF (configs/thumos14.yaml, train.py,
# test.py): 256-frame windows of 96x96 crops (10 fps frame arrays; training stride 30, testing
# stride 128) -> Inception I3D (ImageNet+Kinetics rgb_imagenet.pt; BatchNorm statistics frozen,
# its affine weights trained as the official train.py leaves them trainable) -> one attention
# per map (Mixed_4f, Mixed_5c) -> AFSD's CoarsePyramid on the foreground maps; background pass x35,
# a CVAE per map (MSE + 0.1 KL), generative pull 0.5 x epoch / 300. Every epoch: one pass of the
# CVAE (Adam 1e-3, betas 0.8/0.999), then one of the detector (Adam 1e-5, weight decay 1e-3,
# batch 8); 300 epochs; `--lw=10 --cw=1 --piou=0.5`, triplet loss 0.1. Test: conf 0.01, all
# candidates, per-class Gaussian soft-NMS sigma 0.01.
_base_ = ['./_base_/default_runtime.py']

frame_root = 'data/thumos14'
ann_file = f'{frame_root}/annotations/thumos14.json'
model = dict(
    type='GAFE2E',
    backbone=dict(type='InceptionI3D', in_channels=3, freeze_bn=True, freeze_bn_affine=False,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='checkpoints/i3d/rgb_imagenet.pt')),
    num_classes=20,
    in_channels=3,
    window_size=256,
    crop_size=96,
    lw=10.,
    cw=1.,
    piou=0.5,
    ssl_weight=0.1,
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=None,
    test_cfg=dict(score_thr=0.01, max_per_window=None))
windows = dict(ann_file=ann_file, data_prefix=dict(frames=f'{frame_root}/frames'),
               modality='RGB', frame_rate=10., window_size=256)
train_pipeline = [
    dict(type='LoadTALFrames'),
    dict(type='TALFrameRandomCrop', size=96),
    dict(type='TALFrameFlip', flip_ratio=0.5),
    dict(type='PackTALFrames', pad_value=-1.)
]
test_pipeline = [
    dict(type='LoadTALFrames'),
    dict(type='TALFrameCenterCrop', size=96),
    dict(type='PackTALFrames', pad_value=0.)
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='TALFrameDataset', subset='training', pipeline=train_pipeline,
                 window_stride=30, **windows))
# One window per batch at test, as the official test.py: the batch-sum normalisation of the
# attention depends on the batch.
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='TALFrameDataset', subset='testing', pipeline=test_pipeline,
                 test_mode=True, window_stride=128, **windows))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='testing',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.01, iou_thr=0., class_agnostic=False),
    max_per_video=-1)
test_evaluator = val_evaluator

train_cfg = dict(type='GAFTrainLoop', max_epochs=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper',
                  optimizer=dict(type='Adam', lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-3)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=2020)
