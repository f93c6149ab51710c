# VSGT's detection schedule: 20 epochs of AdamW (weight decay 0.02) with the backbone at 0.1x
# the lr, a linear warm-up over 2.5 epochs, then cosine annealing; mixed precision. A config sets
# optim_wrapper.optimizer.lr.
_base_ = '../default_runtime.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_begin=5, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# mmengine's AmpOptimWrapper (float16 autocast, dynamic loss scale) needs a GPU: on a CPU pass
# `--cfg-options optim_wrapper.type=OptimWrapper`.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', weight_decay=0.02),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.1))))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=2.5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=0,
        by_epoch=True,
        begin=2.5,
        end=20,
        convert_to_iter_based=True)
]

default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3))
# The recipe gives the batch per GPU (2); its lr is taken to be for 8 GPUs.
auto_scale_lr = dict(enable=False, base_batch_size=16)
