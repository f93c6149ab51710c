# TSN baseline in the VideoLightFormer synthetic pipeline: mmaction2's TSN model (average of
# per-frame scores) on the same ResNet-18 stages 1-3, data and schedule.
_base_ = ['mmaction::_base_/models/tsn_r50.py', '../_base_/synthetic_recognition.py']

model = dict(
    backbone=dict(depth=18, num_stages=3, out_indices=(2, ), strides=(1, 2, 2),
                  dilations=(1, 1, 1), pretrained=None),
    cls_head=dict(num_classes={{_base_.num_classes}}, in_channels=256, dropout_ratio=0.0,
                  average_clips='prob'))
