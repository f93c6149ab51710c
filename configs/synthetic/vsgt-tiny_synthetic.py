# VSGT-tiny (SGFormer3D 'tiny', widths 16..128) without Person Attention Enhancement on the
# synthetic set: the VSGT quickstart detector, trained from scratch on a CPU in a few minutes.
# The RoI head reads stage 3 (stride 16, 64 channels): the actors are about 10x19 pixels of a
# 96-pixel crop, and from stage 4 (stride 32: 3x3 cells, each spanning parts of two actors'
# lanes) the detector fitted the training clips but stayed near chance on the val split.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/fast_rcnn_ava.py',
    '../_base_/datasets/synthetic.py',
]

model = dict(
    type='VSGTFastRCNN',
    backbone=dict(type='mmaction.SGFormer3D', arch='tiny', out_indices=(2, ), with_pae=False),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=16),
        bbox_head=dict(in_channels=64, num_classes={{_base_.num_classes}})))
# SGFormer3D builds stage 4 (and its PAE gate) although nothing reads it: DDP must allow that.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=600, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.02),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min=1e-5)
]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200, by_epoch=False, max_keep_ckpts=2, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
