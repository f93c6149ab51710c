# TSM baseline in the VideoLightFormer synthetic pipeline: mmaction2's TSM model (temporal
# shift in every residual block, average consensus) on the same ResNet-18 stages 1-3, data and
# schedule. mmaction2's ResNetTSM cannot be built with 3 stages; TruncatedResNetTSM cuts it.
_base_ = ['mmaction::_base_/models/tsm_r50.py', '../_base_/synthetic_recognition.py']

model = dict(
    backbone=dict(type='TruncatedResNetTSM', depth=18, num_stages=3, out_indices=(2, ),
                  pretrained=None, pretrained2d=False, num_segments={{_base_.num_segments}}),
    cls_head=dict(num_classes={{_base_.num_classes}}, in_channels=256,
                  num_segments={{_base_.num_segments}}, dropout_ratio=0.0,
                  average_clips='prob'))
