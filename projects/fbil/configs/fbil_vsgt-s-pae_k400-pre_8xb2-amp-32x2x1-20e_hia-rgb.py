# fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py with Person Attention Enhancement: the
# person boxes (ground truth and proposals in training, proposals in testing) steer the backbone.
_base_ = './fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py'

model = dict(backbone=dict(with_pae=True))
# PAE's gates alpha and gamma are not weights to shrink: no weight decay on them (at the
# backbone's learning rate multiplier, which the longer key replaces).
optim_wrapper = dict(paramwise_cfg=dict(
    custom_keys={'backbone.pae': dict(lr_mult=0.1, decay_mult=0.0)}))
