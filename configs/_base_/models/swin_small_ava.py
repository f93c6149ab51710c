# Baseline: mmaction2's Video Swin-S (drop path 0.2 as in its Kinetics-400 recipe).
_base_ = './swin_tiny_ava.py'

model = dict(backbone=dict(arch='small', drop_path_rate=0.2))
