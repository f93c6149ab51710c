# The AFSD baseline on the 'clutter' synthetic TAL set, small enough for a CPU: width 64, 6 levels
# on windows of 64 steps, frame-level branch 4x (64 channels), lw 10, cw 1, piou 0.5. Trained and
# evaluated by the end-to-end test and the benchmark (projects/gaf/tools/benchmark.py).
_base_ = [
    './_base_/models/afsd_thumos14.py', './_base_/datasets/synthetic_clutter_64.py',
    './_base_/schedules/adamw_300i.py'
]

model = dict(in_channels=64, input_range=None, num_classes=3, channels=64, frame_channels=64,
             norm_groups=16)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
