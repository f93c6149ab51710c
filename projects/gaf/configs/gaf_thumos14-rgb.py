# GAF end to end on THUMOS14 RGB frames, as the official GAF (configs/thumos14.yaml, train.py,
# test.py): afsd_thumos14-rgb.py's data, I3D and CoarsePyramid, plus one attention per I3D map
# (Mixed_4f, Mixed_5c) in front of the pyramid, the background pass x35, a CVAE per map (MSE +
# 0.1 KL) and the generative pull 0.5 x epoch / 300. Every epoch is one pass of the CVAE (Adam
# 1e-3, betas 0.8/0.999), then one of the detector (Adam 1e-5, weight decay 1e-3), batch 8, 300
# epochs; the I3D BatchNorm statistics stay frozen but its affine weights train (train.py turns
# their gradients back on). Test: one window per batch (the batch-sum normalisation of the
# attention depends on the batch), per-class Gaussian soft-NMS sigma 0.01.
_base_ = './afsd_thumos14-rgb.py'

model = dict(
    type='GAFE2E',
    backbone=dict(freeze_bn_affine=False),
    attention_hidden=512,
    norm='batch_sum',
    bg_weight=35.,
    kl_weight=0.1,
    pull_weight=0.5,
    pull_warmup=None,
    pull_target='features')
train_dataloader = dict(batch_size=8, drop_last=True)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
val_evaluator = dict(nms=dict(sigma=0.01))
test_evaluator = val_evaluator
train_cfg = dict(type='GAFTrainLoop', max_epochs=300, val_interval=300)
optim_wrapper = dict(
    _delete_=True,
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper',
                  optimizer=dict(type='Adam', lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-3)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.8, 0.999))))
