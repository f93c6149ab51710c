# The synthetic frame-level TAL set of tools/data/synthetic_tal (generate_frames.py: 32x32 RGB
# frames at 10 fps, 3 classes among drifting distractors that are no action): windows of 128
# whole frames, every 32 for training (random 32 crop and flip: the frames themselves, moved
# by nothing) and every 64 for testing (centre crop).
_base_ = './synthetic_frames_metric.py'

data_root = 'data/synthetic_tal_frames'
ann_file = f'{data_root}/annotations.json'
windows = dict(type='TALFrameDataset', ann_file=ann_file,
               data_prefix=dict(frames=f'{data_root}/frames'), window_size=128)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        subset='training',
        window_stride=32,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameRandomCrop', size=32),
            dict(type='TALFrameFlip', flip_ratio=0.5),
            dict(type='PackTALFrames', pad_value=-1.)
        ],
        **windows))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        subset='validation',
        test_mode=True,
        window_stride=64,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameCenterCrop', size=32),
            dict(type='PackTALFrames', pad_value=0.)
        ],
        **windows))
test_dataloader = val_dataloader
