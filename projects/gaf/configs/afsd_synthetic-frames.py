# AFSD end to end on the synthetic frame-level TAL set (tools/data/synthetic_tal,
# generate_frames.py), small enough for a CPU: I3D from scratch (trainable BatchNorm: no
# pretrained statistics), windows of 128 frames of whole 32x32 frames, a width-64
# CoarsePyramid with 5 levels (32..2 positions), AFSD's losses and test; 300 iterations.
_base_ = [
    './_base_/models/afsd_thumos14_e2e.py', './_base_/datasets/synthetic_frames_128.py',
    './_base_/schedules/adamw_300i.py'
]
model = dict(
    backbone=dict(freeze_bn=False, freeze_bn_affine=False, init_cfg=None),
    num_classes=3,
    window_size=128,
    crop_size=32,
    channels=64,
    num_levels=5,
    frame_channels=64,
    norm_groups=16)
