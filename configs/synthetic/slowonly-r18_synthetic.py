# The quickstart detector: a small SlowOnly ResNet3d-18 (mmaction2's) through mmdet's FastRCNN
# flow and mmaction's AVA RoI head, trained from scratch on the synthetic set on a CPU.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/fast_rcnn_ava.py',
    '../_base_/datasets/synthetic.py',
]

model = dict(
    backbone=dict(
        type='mmaction.ResNet3dSlowOnly',
        depth=18,
        base_channels=16,
        pretrained=None,
        pretrained2d=False,
        lateral=False,
        num_stages=4,
        conv1_kernel=(1, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=(0, 0, 1, 1),
        spatial_strides=(1, 2, 1, 1)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=8),
        bbox_head=dict(in_channels=128, num_classes={{_base_.num_classes}})))

train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=150)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.02),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5)
]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=150, by_epoch=False, max_keep_ckpts=2, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
