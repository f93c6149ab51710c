# VSGT-tiny with Person Attention Enhancement on the synthetic set: the person boxes (ground
# truth and proposals in training, proposals in testing) steer the backbone.
_base_ = './vsgt-tiny_synthetic.py'

model = dict(backbone=dict(with_pae=True))
