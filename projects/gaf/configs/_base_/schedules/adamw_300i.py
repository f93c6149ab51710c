# The CPU-sized schedule of the synthetic sets: 300 iterations of AdamW 1e-3 (weight decay
# 1e-4, gradient norm clipped to 1), linear warm-up over 30, then cosine annealing to 1e-5;
# validation and one checkpoint at the end; on the repository's runtime.
_base_ = '../default_runtime.py'

# InfiniteSampler: mmengine's iteration loop sleeps 2 s at every end of a DefaultSampler epoch.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=300, by_epoch=False, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
