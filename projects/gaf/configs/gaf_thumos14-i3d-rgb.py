# GAF on THUMOS14, RGB stream (channels 0-1023 of ActionFormer's I3D features): AFSD + feature
# attention (hidden 512, time resampled to C = 1024 as the official head), background pass
# weighted 35, CVAE of width C (MSE + 0.1 KL), generative pull 0.5 with a linear warm-up; two
# optimizers alternating every iteration: detector + attention Adam 1e-5 (weight decay 1e-3),
# CVAE Adam 1e-3 (betas 0.8, 0.999).
_base_ = './afsd_thumos14-i3d.py'

model = dict(
    type='GAF',
    with_gaf=True,
    attention=dict(hidden=512, length=1024),
    norm='mean',
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=2000)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-3)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
