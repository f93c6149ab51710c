# Baseline for VSGT: mmaction2's Video Swin-S with VSGT's RoI head, data pipeline and schedule on
# UCF101-24 (lr 1e-3). It starts from mmaction2's Kinetics-400 checkpoint (backbone.* loads,
# cls_head is ignored), downloaded by hand into checkpoints/ from
#   https://download.openmmlab.com/mmaction/v1.0/recognition/swin/
#   swin-small-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb/
# `--cfg-options load_from=None` trains from scratch.
_base_ = [
    '../../_base_/models/swin_small_ava.py',
    '../../_base_/datasets/ucf101_24.py',
    '../../_base_/schedules/adamw_cosine_20e.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
load_from = ('checkpoints/swin-small-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_'
             '20220930-e91ab986.pth')
