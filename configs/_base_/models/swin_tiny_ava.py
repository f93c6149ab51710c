# Baseline: mmaction2's Video Swin-T (patch 2x4x4, window 8x7x7; out stride 32, 768 channels)
# as the detection backbone, with the same RoI head as VSGT.
_base_ = './fast_rcnn_ava.py'

model = dict(
    backbone=dict(
        type='mmaction.SwinTransformer3D',
        arch='tiny',
        pretrained=None,
        pretrained2d=False,
        patch_size=(2, 4, 4),
        window_size=(8, 7, 7),
        drop_path_rate=0.1),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_stride=32),
        bbox_head=dict(in_channels=768)))
