# vlf_r50_in1k-pre_8xb16-1x1x8-50e_sthv2-rgb
# with a ResNet-18 backbone (ImageNet weights as torchvision ships them, 512 channels).
_base_ = './vlf_r50_in1k-pre_8xb16-1x1x8-50e_sthv2-rgb.py'

model = dict(
    backbone=dict(depth=18,
                  pretrained='https://download.pytorch.org/models/resnet18-f37072fd.pth'),
    cls_head=dict(in_channels=512))
