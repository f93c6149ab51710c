# Option: VSGN on THUMOS14 TSN with ATSS assignment of the regression targets (top 9 anchors by
# centre distance per level, threshold mean + std of their IoUs) instead of the fixed IoU 0.5.
_base_ = './vsgn_thumos14-tsn-1280.py'

model = dict(assigner='atss')
