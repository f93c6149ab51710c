# The distillation student on THUMOS14 RGB (knowledge distillation on features): a GAF of width 256
# (pyramid, heads, frame-level branch, attention hidden 256) trained with its own losses plus
# 1000 x MSE of its attention to that of the trained, frozen 512-wide GAF of
# gaf_thumos14-i3d-rgb.py (GKD's --beta=1000) and, in pass A, 0.01 x MSE of its CVAE's
# reconstruction to the teacher's (GKD's); no logit distillation (kd_logit_weight=0), as GKD.
# Train the teacher first; its checkpoint is read when training starts.
_base_ = './gaf_thumos14-i3d-rgb.py'

model = dict(
    type='GAFStudent',
    channels=256,
    frame_channels=256,
    attention=dict(hidden=256, length=1024),
    teacher=dict(
        type='GAF', in_channels=1024, input_range=(0, 1024), window_size=64, num_classes=20,
        attention=dict(hidden=512, length=1024)),
    teacher_checkpoint='work_dirs/gaf_thumos14-i3d-rgb/epoch_16.pth',
    kd_weight=1000.,
    kd_logit_weight=0.,
    kd_rec_weight=0.01)
