# Ablation on the synthetic TAL set: vsgn_synthetic.py without the graph branches.
_base_ = './vsgn_synthetic.py'

model = dict(use_xgpn=False)
