# GAF's flow stream on THUMOS14, end to end (the official configs/thumos14_flow.yaml): in the
# official RGB + flow fusion (test.py --fusion) the flow network runs without the attention, so
# this is AFSD end to end on 2-channel TV-L1 flow frames (I3D flow_imagenet.pt): batch 1, Adam
# 1e-5, weight decay 1e-3, 16 epochs, `--lw=10 --cw=1 --piou=0.5`; test soft-NMS sigma 0.5.
_base_ = ['./gaf_thumos14-rgb.py']

model = dict(
    _delete_=True,
    type='AFSD',
    backbone=dict(type='InceptionI3D', in_channels=2, freeze_bn=True, freeze_bn_affine=True,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='checkpoints/i3d/flow_imagenet.pt')),
    num_classes=20,
    in_channels=2,
    window_size=256,
    crop_size=96,
    lw=10.,
    cw=1.,
    piou=0.5,
    ssl_weight=0.1,
    test_cfg=dict(score_thr=0.01, max_per_window=None))
windows = dict(modality='Flow', data_prefix=dict(frames='data/thumos14/flows'))
train_dataloader = dict(batch_size=1, dataset=windows)
val_dataloader = dict(dataset=windows)
test_dataloader = val_dataloader
val_evaluator = dict(nms=dict(sigma=0.5))
test_evaluator = val_evaluator
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=16, val_interval=16)
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='Adam', lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-3))
