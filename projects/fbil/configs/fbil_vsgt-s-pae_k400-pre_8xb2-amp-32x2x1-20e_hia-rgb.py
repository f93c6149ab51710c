# fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py with Person Attention Enhancement: the
# person boxes (ground truth and proposals in training, proposals in testing) steer the backbone.
_base_ = './fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py'

model = dict(backbone=dict(with_pae=True))
