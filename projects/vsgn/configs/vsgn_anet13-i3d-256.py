# VSGN on ActivityNet v1.3 with ActionFormer's I3D features (i3d_features/v_{video}.npy, 2048-d,
# one step per 16 frames of 25 fps video, offset 0.5 step; data/README.md), every video resampled
# to 256 steps (resize='always', as OpenTAD with TSP features), VSS scaled to the window (stitch
# <= 102 steps with a 6-step gap, clips of 97 steps).
_base_ = './vsgn_anet13-tsn-1280.py'

window_size = 256
stitch = dict(type='VideoSelfStitch', stitch_ratio=0.4, gap=6)
windows = dict(
    data_prefix=dict(feature='data/activitynet/i3d_features'),
    feature_rate=1.5625,
    feature_offset=0.5,
    feature_dim=2048,
    window_size=window_size,
    resize='always')
train_pipeline = [
    dict(type='LoadTALFeature'), stitch, dict(type='PackTALInputs', meta_keys=('stitch', ))
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **windows))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, **windows))
test_dataloader = val_dataloader

model = dict(in_channels=2048, window_size=window_size)
