# FBIL with mmaction2's SlowFast R50 8x8 on MultiSports (66 classes) with the project's data
# pipeline and schedule (20 epochs of AdamW, lr 1e-3, backbone at 0.1x, AMP); one action per box:
# softmax classifier. It starts from mmaction2's Kinetics-400 checkpoint (see the UCF101-24
# config).
_base_ = [
    './_base_/models/fbil_slowfast_r50.py', './_base_/datasets/multisports.py',
    '../../../configs/_base_/schedules/adamw_cosine_20e.py'
]

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    roi_head=dict(bbox_head=dict(multilabel=False, num_classes={{_base_.num_classes}})))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
load_from = ('checkpoints/slowfast_r50_8x8x1_256e_kinetics400_rgb_'
             '20200716-73547d2b.pth')
