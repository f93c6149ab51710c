# The single-scale baseline of the benchmark on the synthetic TAL set: VSGN's pipeline without
# VSS and without graphs (a conv pyramid), anchors on one output level only (stride 8, anchors
# of 8 and 12 steps); same heads, stage 2, losses and schedule as vsgn_synthetic.py.
_base_ = './vsgn_synthetic_novss.py'

model = dict(use_xgpn=False, anchor_levels=(1, ))
