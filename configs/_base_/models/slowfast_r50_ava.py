# Baseline: mmaction2's SlowFast R50 8x8 as in its AVA configs (a 32-frame clip feeds 8 slow and
# 32 fast frames; the last stage keeps its resolution: out stride 16, 2048 + 256 channels).
_base_ = './fast_rcnn_ava.py'

model = dict(
    backbone=dict(
        type='mmaction.ResNet3dSlowFast',
        pretrained=None,
        resample_rate=4,
        speed_ratio=4,
        channel_ratio=8,
        slow_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=True,
            conv1_kernel=(1, 7, 7),
            dilations=(1, 1, 1, 1),
            conv1_stride_t=1,
            pool1_stride_t=1,
            inflate=(0, 0, 1, 1),
            spatial_strides=(1, 2, 2, 1),
            fusion_kernel=7),
        fast_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=False,
            base_channels=8,
            conv1_kernel=(5, 7, 7),
            conv1_stride_t=1,
            pool1_stride_t=1,
            spatial_strides=(1, 2, 2, 1))),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=16),
        bbox_head=dict(in_channels=2304)))
