# VSGT-S without Person Attention Enhancement on AVA v2.2 (the 60 evaluated classes), with the
# UCF101-24 recipe (AdamW, lr 1e-3, 20 epochs; not tuned for AVA) and the data of FBIL's AVA
# configs (projects/fbil/configs/_base_/datasets/ava22.py: mmaction2's AVA layout, the FAIR
# person detections, the official AVA evaluation and frame-mAP@0.5). Multi-label sigmoid
# classifier, as mmaction2's AVA detectors. It starts from the Kinetics-400 VSGT-S
# (checkpoints/README.md); `--cfg-options load_from=None` trains from scratch.
_base_ = [
    '../../_base_/models/vsgt_s.py',
    '../../../projects/fbil/configs/_base_/datasets/ava22.py',
    '../../_base_/schedules/adamw_cosine_20e.py',
]

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    backbone=dict(with_pae=False),
    roi_head=dict(bbox_head=dict(num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
load_from = 'checkpoints/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.pth'
