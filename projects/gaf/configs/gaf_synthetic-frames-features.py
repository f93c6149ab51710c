# The feature variant of gaf_synthetic-frames.py: afsd_synthetic-frames-features.py plus GAF's
# feature attention (hidden 64, time resampled to C = 96), background pass, CVAE and pull, the
# batch-sum normalisation of the official code; the detector's optimizer and schedule as
# afsd_synthetic-frames-features.py, the CVAE's Adam 1e-3 (betas 0.8, 0.999), both passes at
# every iteration.
_base_ = './afsd_synthetic-frames-features.py'

model = dict(
    type='GAF',
    with_gaf=True,
    attention=dict(hidden=64),
    norm='batch_sum',
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=100)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                  clip_grad=dict(max_norm=1, norm_type=2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
