# AFSD's recipe: Adam 1e-5, weight decay 1e-3, 16 epochs (AFSD: batch 1; GAF's config: batch 8);
# the last epoch is evaluated.
_base_ = '../default_runtime.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=16, val_interval=16)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=1e-3))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=2020)
