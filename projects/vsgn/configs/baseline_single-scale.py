# The single-scale baseline on THUMOS14 TSN (windows of 1280 steps): VSGN's pipeline without VSS
# and without graphs (a conv pyramid), anchors on one output level only (stride 8, anchors of 8
# and 12 steps); heads, stage 2, losses and schedule as vsgn_thumos14-tsn-1280.py.
_base_ = './vsgn_thumos14-tsn-1280_novss.py'

model = dict(use_xgpn=False, anchor_levels=(1, ))
