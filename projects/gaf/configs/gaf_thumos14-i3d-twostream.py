# Test-time RGB + flow fusion on THUMOS14: the mean of the raw outputs of the GAF RGB model
# (gaf_thumos14-i3d-rgb.py) and the flow model (gaf_thumos14-i3d-flow.py), decoded as one. Train
# both, join their checkpoints with projects/gaf/tools/fuse_checkpoints.py, then run
# tools/test.py on this config with the joined checkpoint.
_base_ = ['./_base_/datasets/thumos14_i3d_64.py', './_base_/schedules/adam_16e.py']

stream = dict(
    in_channels=1024, window_size=64, num_classes=20, channels=512, num_levels=6, frame_ratio=4,
    frame_channels=512, test_cfg=dict(score_thr=0.01, max_per_window=1000))
model = dict(
    type='TwoStreamFusion',
    rgb=dict(type='GAF', input_range=(0, 1024), attention=dict(hidden=512, length=1024),
             **stream),
    flow=dict(type='GAF', with_gaf=False, input_range=(1024, 2048), **stream))
