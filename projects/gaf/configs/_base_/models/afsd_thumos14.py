# AFSD on one I3D stream of THUMOS14 (1024 channels, windows of 64 steps): pyramid of width 512
# with 6 levels (64..2 positions, 126 priors), frame-level branch 4x (256 virtual frames, 512
# channels), 20 classes + background; the losses of `--lw=10 --cw=1 --piou=0.5`, and the
# boundary-consistency triplet loss x 0.1 (AFSD's `ssl`).
model = dict(
    type='AFSDLocalizer',
    in_channels=1024,
    input_range=(0, 1024),
    window_size=64,
    num_classes=20,
    channels=512,
    num_levels=6,
    frame_ratio=4,
    frame_channels=512,
    lw=10.,
    cw=1.,
    piou=0.5,
    ssl_weight=0.1,
    test_cfg=dict(score_thr=0.01, max_per_window=1000))
