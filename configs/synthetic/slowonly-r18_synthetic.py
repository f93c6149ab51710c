# A small SlowOnly ResNet3d-18 (mmaction2's) through mmdet's FastRCNN flow and mmaction's AVA RoI
# head, trained from scratch on the synthetic set on a CPU: the convolutional baseline next to
# VSGT-tiny (the quickstart's detector, vsgt-tiny_synthetic.py). Also the config of the tools'
# end-to-end tests. The quickstart with it:
#   python tools/quickstart.py --config configs/synthetic/slowonly-r18_synthetic.py
_base_ = [
    '../_base_/schedules/adamw_cosine_300i_cpu.py',
    '../_base_/models/fast_rcnn_ava.py',
    '../_base_/datasets/synthetic.py',
]

model = dict(
    backbone=dict(
        type='mmaction.ResNet3dSlowOnly',
        depth=18,
        base_channels=16,
        pretrained=None,
        pretrained2d=False,
        lateral=False,
        num_stages=4,
        conv1_kernel=(1, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=(0, 0, 1, 1),
        spatial_strides=(1, 2, 1, 1)),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=8),
        bbox_head=dict(in_channels=128, num_classes={{_base_.num_classes}})))
