# VSGT-tiny with Person Attention Enhancement on the synthetic set: the person boxes (ground
# truth and proposals in training, proposals in testing) steer the backbone. Everything else
# (stage-2 RoI features, the schedule) is the tiny config's; PAE is built for the two stages that
# run. frame-mAP@0.5 on the val split (seed 0): 0.994 (0.991 without PAE).
_base_ = './vsgt-tiny_synthetic.py'

model = dict(backbone=dict(with_pae=True))
