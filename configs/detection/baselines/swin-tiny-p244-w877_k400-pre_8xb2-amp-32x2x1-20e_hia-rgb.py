# Baseline for VSGT: mmaction2's Video Swin-T with VSGT's RoI head, data pipeline and schedule on
# HIA (lr 1.875e-4). It starts from mmaction2's Kinetics-400 checkpoint (backbone.* loads, cls_head
# is ignored), downloaded by hand into checkpoints/ from
#   https://download.openmmlab.com/mmaction/v1.0/recognition/swin/
#   swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb/
# `--cfg-options load_from=None` trains from scratch.
_base_ = [
    '../../_base_/models/swin_tiny_ava.py',
    '../../_base_/datasets/hia.py',
    '../../_base_/schedules/adamw_cosine_20e.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1.875e-4))
load_from = ('checkpoints/swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_'
             '20220930-241016b2.pth')
