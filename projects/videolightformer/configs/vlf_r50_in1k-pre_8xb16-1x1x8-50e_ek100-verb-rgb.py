# VideoLightFormer, ResNet-50 (ImageNet) + VLF head, 8 frames, EPIC-KITCHENS-100 verbs (97
# classes) from RawframeDataset lists (_base_/ek100_rawframes.py: the pipeline of mmaction2's TSM
# SSv2 config on frames). Model and recipe of vlf_r50_in1k-pre_8xb16-1x1x8-50e_sthv2-rgb.py.
# Action accuracy (verb and noun together) would need a two-task head; not built.
_base_ = ['mmaction::_base_/default_runtime.py', './_base_/ek100_rawframes.py']

custom_imports = dict(
    imports=['vsgt', 'vsgt_projects.videolightformer.videolightformer'], allow_failed_imports=False)

num_segments = {{_base_.num_segments}}
model = dict(
    type='Recognizer2D',
    # ImageNet weights as mmaction2's TSN configs (_base_/models/tsn_r50.py) load them.
    backbone=dict(type='ResNet', depth=50, norm_eval=False,
                  pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth'),
    cls_head=dict(type='VLFHead', num_classes={{_base_.num_classes}}, in_channels=2048,
                  num_segments=num_segments, embed_dims=256, spatial_depth=2, temporal_depth=2,
                  num_heads=8, temporal_pe='learned', label_smooth_eps=0.1,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'))

max_epochs = 50
warmup_epochs = 5
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4 * 128 / 64, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       custom_keys=dict(temporal_embed=dict(decay_mult=0.),
                                        cls_token=dict(decay_mult=0.))),
    clip_grad=dict(max_norm=20, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=3))
auto_scale_lr = dict(enable=False, base_batch_size=128)
