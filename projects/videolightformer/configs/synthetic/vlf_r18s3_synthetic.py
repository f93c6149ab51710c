# VideoLightFormer on the synthetic recognition set, from scratch on a CPU: ResNet-18 stages 1-3
# (stride 16, 256 channels: 3x4 tokens per 64x48 frame), D 64, 4 heads, one spatial and one
# spatio-temporal layer, learned temporal embedding, each frame's mean into the MLP in time order.
# No dropout or drop-path, as the TSN and TSM configs here have none (300 iterations from
# scratch: with the real-data rates 0.1/0.1/0.5 the head fitted its training clips more slowly).
_base_ = '../_base_/synthetic_recognition.py'

model = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNet', depth=18, num_stages=3, out_indices=(2, ), strides=(1, 2, 2),
                  dilations=(1, 1, 1), pretrained=None, norm_eval=False),
    cls_head=dict(type='VLFHead', num_classes={{_base_.num_classes}}, in_channels=256,
                  num_segments={{_base_.num_segments}}, embed_dims=64, spatial_depth=1,
                  temporal_depth=1, num_heads=4, temporal_pe='learned', pool='frames',
                  dropout=0.0, drop_path_rate=0.0, mlp_dropout=0.0, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'))
