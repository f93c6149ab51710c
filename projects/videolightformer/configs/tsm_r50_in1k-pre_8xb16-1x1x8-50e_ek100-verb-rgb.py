# TSM baseline for EPIC-KITCHENS-100 verbs in the VideoLightFormer pipeline: mmaction2's TSM
# model base with the schedule of its tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py
# (SGD lr 0.02 per 128 clips, 5 warm-up epochs, steps at 25 and 45) on the EK100 lists.
_base_ = [
    'mmaction::_base_/models/tsm_r50.py', 'mmaction::_base_/default_runtime.py',
    './_base_/ek100_rawframes.py'
]

custom_imports = dict(
    imports=['vsgt', 'vsgt_projects.videolightformer.videolightformer'], allow_failed_imports=False)

model = dict(
    backbone=dict(num_segments={{_base_.num_segments}}),
    cls_head=dict(num_classes={{_base_.num_classes}}, num_segments={{_base_.num_segments}},
                  dropout_ratio=0.5))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[25, 45], gamma=0.1)
]
optim_wrapper = dict(
    constructor='TSMOptimWrapperConstructor',
    paramwise_cfg=dict(fc_lr5=True),
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=20, norm_type=2))
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=3))
auto_scale_lr = dict(enable=False, base_batch_size=128)
