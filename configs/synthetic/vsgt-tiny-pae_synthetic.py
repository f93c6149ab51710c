# VSGT-tiny with Person Attention Enhancement on the synthetic set: the person boxes (ground
# truth and proposals in training, proposals in testing) steer the backbone. Everything else
# (stage-2 RoI features, 600 iterations at lr 2e-3) is the tiny config's; PAE is built for the
# two stages that run.
_base_ = './vsgt-tiny_synthetic.py'

model = dict(backbone=dict(with_pae=True))
