# Ablation: VSGN on THUMOS14 TSN without the graph branches (every xGN level a stride-2 conv).
_base_ = './vsgn_thumos14-tsn-1280.py'

model = dict(use_xgpn=False)
