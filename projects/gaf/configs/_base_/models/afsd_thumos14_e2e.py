# AFSD end to end as the official THUMOS14 BDNet: Inception-I3D (frozen BatchNorm, started from
# the converted rgb_imagenet.pt) -> CoarsePyramid on Mixed_4f / Mixed_5c (width 512, 6 levels
# on 256-frame windows of 96x96 crops: 64..2 positions, 126 priors), 20 classes + background;
# the losses of `train.py --lw=10 --cw=1 --piou=0.5 --ssl=0.1`; test.py's conf_thresh 0.01,
# every candidate kept (the metric's per-class soft-NMS follows).
model = dict(
    type='AFSD',
    backbone=dict(
        type='InceptionI3D',
        in_channels=3,
        out_endpoints=('Mixed_4f', 'Mixed_5c'),
        freeze_bn=True,
        freeze_bn_affine=True,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/afsd/i3d_rgb_imagenet.pth',
                      prefix='backbone.')),
    num_classes=20,
    in_channels=3,
    window_size=256,
    crop_size=96,
    channels=512,
    num_levels=6,
    frame_channels=512,
    lw=10.,
    cw=1.,
    piou=0.5,
    ssl_weight=0.1,
    test_cfg=dict(score_thr=0.01, max_per_window=None))
