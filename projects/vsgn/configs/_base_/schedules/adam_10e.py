# The released THUMOS14 schedule: Adam 5e-5, weight decay 1e-4, batch 32, 10 epochs, seed 21;
# the last epoch is evaluated (the released code kept the epoch of the lowest test-window loss).
_base_ = '../default_runtime.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5, weight_decay=1e-4))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=21)
