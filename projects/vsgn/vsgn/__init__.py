"""VSGN (Zhao et al., ICCV 2021): video self-stitching and the cross-scale graph pyramid."""
from .anchors import AnchorAssigner, SegmentCoder, make_anchors, match_max_iou, segment_iou
from .head import BoundaryAdjust, BoundaryScoring, VSGNHead
from .stitch import VideoSelfStitch, VSGNWindowDataset, VSSCutDataset, map_back
from .vsgn import VSGN
from .xgpn import XGPN, CrossScaleGraphLayer, cross_scale_knn

__all__ = [
    'AnchorAssigner', 'SegmentCoder', 'make_anchors', 'match_max_iou', 'segment_iou',
    'BoundaryAdjust', 'BoundaryScoring', 'VSGNHead', 'VideoSelfStitch', 'VSGNWindowDataset',
    'VSSCutDataset', 'map_back', 'VSGN', 'XGPN', 'CrossScaleGraphLayer', 'cross_scale_knn'
]
