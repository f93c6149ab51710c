# GAF on the 'clutter' synthetic TAL set: afsd_synthetic.py plus the feature attention (hidden
# 64, time resampled to C = 64), background pass, CVAE of width 64 and the generative pull; the
# detector's optimizer and schedule as afsd_synthetic.py, the CVAE's Adam 1e-3 (betas 0.8,
# 0.999).
_base_ = './afsd_synthetic.py'

model = dict(
    type='GAF',
    with_gaf=True,
    attention=dict(hidden=64, length=64),
    norm='mean',
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=100)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
        clip_grad=dict(max_norm=1, norm_type=2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
