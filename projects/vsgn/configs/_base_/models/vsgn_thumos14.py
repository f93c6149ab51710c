# VSGN as released for THUMOS14 (two-stream TSN, 2048-d, windows of 1280 steps): xGPN of width
# 256 with 5 levels (strides 4..64), k = 12, anchors of 1 and 1.5 strides on every level,
# softmax over background + 20 classes.
model = dict(
    type='VSGN',
    in_channels=2048,
    window_size=1280,
    num_classes=20,
    channels=256,
    num_levels=5,
    num_neighbours=12,
    use_xgpn=True,
    anchor_levels=None,
    anchor_ratios=(1., 1.5),
    cls_loss='softmax',
    assigner='max_iou',
    test_cfg=dict(score_thr=0.005, nms_iou_thr=0.4, max_per_window=None))
