# The public FBIL schedule: 8 epochs of SGD (momentum 0.9, Nesterov, weight decay 1e-7); the lr
# rises linearly over epoch 1 from 1/8 of its peak, then drops x0.1 at epochs 4 and 6. The
# public peak, 0.012 for 4 clips (2 processes x 2), scaled linearly to 8 x 2 clips: 0.048.
_base_ = '../../../../../configs/_base_/default_runtime.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_begin=4, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.048, momentum=0.9, nesterov=True, weight_decay=1e-7))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.125,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[4, 6], gamma=0.1)
]

default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3))
# --auto-scale-lr rescales the lr for another total batch.
auto_scale_lr = dict(enable=False, base_batch_size=16)
