# TSN baseline for EPIC-KITCHENS-100 verbs in the VideoLightFormer pipeline: composed like
# mmaction2's tsn_imagenet-pretrained-r50_8xb32-1x1x8-50e_sthv2-rgb.py (its model, SGD 50-epoch
# schedule and runtime bases) on the EK100 RawframeDataset lists.
_base_ = [
    'mmaction::_base_/models/tsn_r50.py', 'mmaction::_base_/schedules/sgd_50e.py',
    'mmaction::_base_/default_runtime.py', './_base_/ek100_rawframes.py'
]

custom_imports = dict(
    imports=['vsgt', 'vsgt_projects.videolightformer.videolightformer'], allow_failed_imports=False)

model = dict(cls_head=dict(num_classes={{_base_.num_classes}}, dropout_ratio=0.5))
train_dataloader = dict(batch_size=32)
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=3))
auto_scale_lr = dict(enable=False, base_batch_size=256)
