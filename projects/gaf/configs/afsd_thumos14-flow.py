# AFSD end to end on THUMOS14 TV-L1 flow (AFSD's flow arrays, 2 channels), as the official
# configs/thumos14_flow.yaml: the RGB recipe with I3D started from the converted
# flow_imagenet.pt (the released flow model is epoch 16).
_base_ = './afsd_thumos14-rgb.py'
modality = 'Flow'
model = dict(
    in_channels=2,
    backbone=dict(
        in_channels=2,
        init_cfg=dict(checkpoint='checkpoints/afsd/i3d_flow_imagenet.pth')))
train_dataloader = dict(dataset=dict(
    modality=modality, data_prefix=dict(frames='data/thumos14/validation_flow_npy')))
val_dataloader = dict(dataset=dict(
    modality=modality, data_prefix=dict(frames='data/thumos14/test_flow_npy')))
test_dataloader = val_dataloader
