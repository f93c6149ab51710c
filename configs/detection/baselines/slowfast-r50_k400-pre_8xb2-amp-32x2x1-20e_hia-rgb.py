# Baseline for VSGT: mmaction2's SlowFast R50 8x8 with VSGT's RoI head, data pipeline and schedule
# on HIA (lr 1.875e-4). It starts from mmaction2's Kinetics-400 checkpoint (backbone.* loads,
# cls_head is ignored), downloaded by hand into checkpoints/ from
#   https://download.openmmlab.com/mmaction/recognition/slowfast/
#   slowfast_r50_8x8x1_256e_kinetics400_rgb/
# `--cfg-options load_from=None` trains from scratch.
_base_ = [
    '../../_base_/models/slowfast_r50_ava.py',
    '../../_base_/datasets/hia.py',
    '../../_base_/schedules/adamw_cosine_20e.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1.875e-4))
load_from = ('checkpoints/slowfast_r50_8x8x1_256e_kinetics400_rgb_'
             '20200716-73547d2b.pth')
