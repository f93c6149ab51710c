# The AFSD baseline on the 'clutter' synthetic TAL set, small enough for a CPU: width 64, 6 levels
# on windows of 64 steps, frame-level branch 4x (64 channels), lw 10, cw 1, piou 0.5. Trained and
# evaluated by the end-to-end test and the benchmark (projects/gaf/tools/benchmark.py).
_base_ = [
    './_base_/models/afsd_thumos14.py', './_base_/datasets/synthetic_clutter_64.py',
    './_base_/default_runtime.py'
]

model = dict(in_channels=64, input_range=None, num_classes=3, channels=64, frame_channels=64,
             norm_groups=16)

# InfiniteSampler: mmengine's iteration loop sleeps 2 s at every end of a DefaultSampler epoch.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
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
