# GAF end to end on the synthetic frame-level TAL set (generate_frames.py: 32x32 RGB frames at
# 10 fps, 3 classes among drifting distractors that are no action), for a CPU:
# afsd_synthetic-frames.py (I3D from scratch, 128-frame windows, width-64 pyramid) plus the
# attention per map (width 64), background pass, CVAEs and pull, trained with GAF's epoch loop
# (an epoch of the CVAE, then one of the detector) for 6 epochs; one window per test batch.
_base_ = './afsd_synthetic-frames.py'

model = dict(
    type='GAFE2E',
    attention_hidden=64,
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=None)
train_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=True), drop_last=True)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
train_cfg = dict(_delete_=True, type='GAFTrainLoop', max_epochs=6, val_interval=6)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                  clip_grad=dict(max_norm=1, norm_type=2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True, max_keep_ckpts=1))
log_processor = dict(by_epoch=True)
