# VSGT-S without Person Attention Enhancement on UCF101-24, VSGT's recipe (lr 1e-3). It starts
# from the Kinetics-400 VSGT-S of configs/recognition/vsgt/ (backbone.* loads, cls_head is
# ignored), copied into checkpoints/; `--cfg-options load_from=None` trains from scratch.
_base_ = [
    '../../_base_/models/vsgt_s.py',
    '../../_base_/datasets/ucf101_24.py',
    '../../_base_/schedules/adamw_cosine_20e.py',
]

model = dict(
    backbone=dict(with_pae=False),
    roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
load_from = 'checkpoints/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.pth'
