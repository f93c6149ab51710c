# The feature variant of afsd_synthetic-frames.py: AFSD on the frame set's features/ (96
# channels, windows of 32 steps = 128 frames: 5 levels, 32..2 positions, frame-level branch 4x),
# the same width, windows, batches and schedule.
_base_ = [
    './_base_/models/afsd_thumos14.py', './_base_/datasets/synthetic_frames_features_32.py',
    './_base_/schedules/adamw_300i.py'
]
model = dict(
    in_channels=96,
    input_range=None,
    window_size=32,
    num_classes=3,
    channels=64,
    num_levels=5,
    frame_channels=64,
    norm_groups=16)
