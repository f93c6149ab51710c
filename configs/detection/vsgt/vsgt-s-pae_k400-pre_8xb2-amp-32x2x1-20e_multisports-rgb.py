# VSGT-S with Person Attention Enhancement on MultiSports: the person boxes (ground truth and
# proposals in training, proposals in testing) steer the backbone. The Kinetics-400 checkpoint
# has no PAE parameters; they keep their initial values (guidance 1, enhancement gate 0).
_base_ = './vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_multisports-rgb.py'

model = dict(backbone=dict(with_pae=True))
