# VSGN on THUMOS14 with ActionFormer's I3D features (i3d_features/{video}.npy, 2048-d, one step
# per 4 frames of 30 fps video, centred on 16-frame clips: step i at (i + 2) / 7.5 s, see
# data/README.md), windows of 320 steps every 80 (overlap 0.75, as OpenTAD), VSS scaled to the
# window (stitch <= 128 steps with an 8-step gap, clips of 122), 20 epochs with gradient
# clipping at 1 (OpenTAD's schedule).
_base_ = './vsgn_thumos14-tsn-1280.py'

window_size = 320
stitch = dict(type='VideoSelfStitch', stitch_ratio=0.4, gap=8)
windows = dict(
    data_prefix=dict(feature='data/thumos14/i3d_features'),
    feature_rate=7.5,
    feature_offset=2.,
    window_size=window_size,
    window_stride=window_size // 4)
train_pipeline = [
    dict(type='LoadTALFeature'), stitch, dict(type='PackTALInputs', meta_keys=('stitch', ))
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **windows))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, **windows))
test_dataloader = val_dataloader

model = dict(window_size=window_size)
train_cfg = dict(max_epochs=20, val_interval=20)
optim_wrapper = dict(clip_grad=dict(max_norm=1, norm_type=2))
