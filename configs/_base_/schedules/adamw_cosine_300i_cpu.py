# From-scratch training on the synthetic set on a CPU: AdamW, 30 warm-up iterations then cosine
# to 300 iterations, validation halfway and at the end. Inherits the runtime because it sets the
# checkpoint hook (mmengine refuses a key defined by two bases).
_base_ = '../default_runtime.py'

train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=150)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.02),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min=1e-5)
]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=150, by_epoch=False, max_keep_ckpts=2, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
