# FBIL on AVA v2.2 with mmaction2's SlowFast R50 8x8, the public FBIL recipe (its R101 config with
# the R50 backbone): BatchNorm frozen, 8 epochs of SGD, the 60 evaluated classes with AVA's
# pose-softmax loss. It starts from mmaction2's Kinetics-400 SlowFast R50 8x8 (backbone.* loads,
# cls_head is ignored), downloaded by hand into checkpoints/ from
#   https://download.openmmlab.com/mmaction/recognition/slowfast/
#   slowfast_r50_8x8x1_256e_kinetics400_rgb/
_base_ = [
    './_base_/models/fbil_slowfast_r50.py', './_base_/datasets/ava22.py',
    './_base_/schedules/sgd_8e_ava.py'
]

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    backbone=dict(slow_pathway=dict(norm_eval=True), fast_pathway=dict(norm_eval=True)),
    roi_head=dict(
        bbox_head=dict(
            type='BBoxHeadAVAPoseSoftmax',
            pose_classes=list(range(1, 14)),
            num_classes={{_base_.num_classes}})))
load_from = ('checkpoints/slowfast_r50_8x8x1_256e_kinetics400_rgb_'
             '20200716-73547d2b.pth')
