# VideoLightFormer, ResNet-50 (ImageNet) + VLF head, 8 frames, Kinetics-400. Data pipeline of
# mmaction2's TSM config (short side 256, MultiScaleCrop 224, flip, val centre crop 224, test
# TenCrop 224: 10 views averaged), so VLF, TSN and TSM see the same clips. Recipe (decided in
# this project; the paper's was not found): AdamW, lr 1e-4 per 64 clips, wd 0.05 (none on
# norms, biases, embeddings), 5 warm-up epochs then cosine, gradient clipping at 20. Use
# `tools/train.py --amp` on GPUs.
# Its 50-epoch config: mmaction2 1.2.0's metafile names the 100-epoch one without ".py", so
# `mmaction::` cannot find it. The schedule is replaced below anyway.
_base_ = 'mmaction::recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py'

custom_imports = dict(
    imports=['vsgt', 'vsgt_projects.videolightformer.videolightformer'], allow_failed_imports=False)

num_segments = 8
model = dict(
    _delete_=True,
    type='Recognizer2D',
    # ImageNet weights as mmaction2's TSN configs (_base_/models/tsn_r50.py) load them.
    backbone=dict(type='ResNet', depth=50, norm_eval=False,
                  pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth'),
    cls_head=dict(type='VLFHead', num_classes=400, in_channels=2048, num_segments=num_segments,
                  embed_dims=256, spatial_depth=2, temporal_depth=2, num_heads=8,
                  temporal_pe='learned', label_smooth_eps=0.1, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'))

max_epochs = 100
warmup_epochs = 5
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    _delete_=True,
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
