# The features of the synthetic frame-level TAL set (generate_frames.py's features/: per 4
# frames, the frames' mean pooled to 4x4 and their change, 96 channels at 2.5 steps/s), cut as
# synthetic_frames_128.py cuts the frames: windows of 32 steps (128 frames), every 8 for training
# (AFSD's rule: windows holding a whole action, every action at least half inside, clipped) and
# every 16 for testing.
_base_ = './synthetic_frames_metric.py'

data_root = 'data/synthetic_tal_frames'
ann_file = f'{data_root}/annotations.json'
windows = dict(
    type='TALFeatureDataset',
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/features'),
    feature_rate=2.5,
    feature_dim=96,
    window_size=32)
pipeline = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(subset='training', pipeline=pipeline, window_stride=8, min_action_overlap=0.5,
                 **windows))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(subset='validation', pipeline=pipeline, test_mode=True, window_stride=16,
                 **windows))
test_dataloader = val_dataloader
