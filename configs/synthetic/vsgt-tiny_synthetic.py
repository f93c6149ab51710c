# VSGT-tiny (SGFormer3D 'tiny', widths 16..128) without Person Attention Enhancement on the
# synthetic set: the VSGT quickstart detector, trained from scratch on a CPU in a few minutes.
# The RoI head reads stage 3 (stride 16, 64 channels): the actors are about 10x19 pixels of a
# 96-pixel crop, and from stage 4 (stride 32: 3x3 cells, each spanning parts of two actors'
# lanes) the detector fitted the training clips but stayed near chance on the val split.
_base_ = [
    '../_base_/schedules/adamw_cosine_300i_cpu.py',
    '../_base_/models/fast_rcnn_ava.py',
    '../_base_/datasets/synthetic.py',
]

model = dict(
    type='VSGTFastRCNN',
    backbone=dict(type='mmaction.SGFormer3D', arch='tiny', out_indices=(2, ), with_pae=False),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=16),
        bbox_head=dict(in_channels=64, num_classes={{_base_.num_classes}})))

# 600 iterations, validated every 200.
train_cfg = dict(max_iters=600, val_interval=200)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min=1e-5)
]
default_hooks = dict(checkpoint=dict(interval=200))
