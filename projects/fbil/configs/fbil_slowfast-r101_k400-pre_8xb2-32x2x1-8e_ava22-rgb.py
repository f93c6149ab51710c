# FBIL on AVA v2.2 with mmaction2's SlowFast R101 8x8, the public FBIL recipe (the public code
# starts from ACAR-Net's Kinetics-700 R101, not convertible here: see the README). It starts from
# mmaction2's Kinetics-400 SlowFast R101 8x8, downloaded by hand into checkpoints/ from
#   https://download.openmmlab.com/mmaction/v1.0/recognition/slowfast/
#   slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb/
_base_ = './fbil_slowfast-r50_k400-pre_8xb2-32x2x1-8e_ava22-rgb.py'

model = dict(
    backbone=dict(slow_pathway=dict(depth=101), fast_pathway=dict(depth=101)))
load_from = ('checkpoints/slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb_'
             '20220818-9c0e09bd.pth')
