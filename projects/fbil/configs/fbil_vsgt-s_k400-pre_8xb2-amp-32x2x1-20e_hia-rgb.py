# FBIL (d 512) on VSGT-S without Person Attention Enhancement on HIA, with the project's
# data pipeline and schedule (lr 1e-3), comparable with
# configs/detection/vsgt/vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py.
# It starts from the Kinetics-400 VSGT-S of configs/recognition/vsgt/ (backbone.* loads), copied
# into checkpoints/; `--cfg-options load_from=None` trains from scratch.
_base_ = [
    './_base_/models/fbil_vsgt_s.py',
    '../../../configs/_base_/datasets/hia.py',
    '../../../configs/_base_/schedules/adamw_cosine_20e.py',
]

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    backbone=dict(with_pae=False),
    roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
load_from = 'checkpoints/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.pth'
