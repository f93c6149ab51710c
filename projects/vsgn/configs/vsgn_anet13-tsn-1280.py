# VSGN on ActivityNet v1.3 with TSN features (5 steps/s, windows of 1280 steps, resize
# 'down_only'), k = 10, 200 classes scored by sigmoid focal loss (gamma 2, alpha 0.35), Adam 1e-4
# for 15 epochs. The released code scores one class-agnostic "action" and takes the label from an
# external video classifier (CUHK's), which this project does not ship.
_base_ = [
    './_base_/models/vsgn_thumos14.py', './_base_/datasets/anet13_tsn_1280.py',
    './_base_/schedules/adam_10e.py'
]

model = dict(in_channels=400, num_classes=200, num_neighbours=10, cls_loss='focal')
train_cfg = dict(max_epochs=15, val_interval=15)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
