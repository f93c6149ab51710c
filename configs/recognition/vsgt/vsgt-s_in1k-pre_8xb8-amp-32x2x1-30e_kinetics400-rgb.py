# Kinetics-400 pretraining of VSGT-S (Recognizer3D + I3DHead, 32x2 clips): the backbone stage of
# VSGT's recipe, between ImageNet and detection. Data, schedule and optimiser are mmaction2's
# Video Swin-T recipe (AdamW, backbone at 0.1x the lr, warm-up then cosine, 30 epochs, AMP), read
# from data/kinetics400/ as there.
_base_ = 'mmaction::recognition/swin/swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py'  # noqa: E501

custom_imports = dict(imports=['vsgt'], allow_failed_imports=False)

# The backbone starts from the 2D SG-Former-S ImageNet checkpoint of the SG-Former authors
# (state_dict_ema), inflated to 3D; `--cfg-options model.backbone.init_cfg=None` starts from
# random weights.
model = dict(
    backbone=dict(
        _delete_=True,
        type='SGFormer3D',
        arch='small',
        init_cfg=dict(type='InflateSGFormer2D', checkpoint='checkpoints/sgformer_s.pth')),
    cls_head=dict(in_channels=512))
