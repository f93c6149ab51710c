# VSGN on the synthetic TAL set, small enough for a CPU: windows of 256 steps, width 64, 4 levels
# (strides 4..32, anchors of 4..48 steps), k = 12. Trained and evaluated by the end-to-end test
# (projects/vsgn/tests/test_vsgn_e2e.py) and the benchmark (projects/vsgn/tools/benchmark.py).
_base_ = [
    './_base_/models/vsgn_thumos14.py', './_base_/datasets/synthetic_tal_256.py',
    './_base_/default_runtime.py'
]

model = dict(in_channels=32, window_size=256, num_classes=4, channels=64, num_levels=4)

# InfiniteSampler: mmengine's iteration loop sleeps 2 s at every end of a DefaultSampler epoch.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=400)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=40, end=400, eta_min=1e-5)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=400, by_epoch=False, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
