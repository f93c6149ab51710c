"""mmengine metrics (registered in mmaction's METRICS): FrameMAP, VideoMAP, TALDetectionMetric,
DumpNumpyResults."""
from .base import DetectionMetric, format_ap_table
from .dump import DumpNumpyResults
from .frame_map import FrameMAP
from .tal import TALDetectionMetric
from .video_map import VideoMAP

__all__ = ['DetectionMetric', 'format_ap_table', 'FrameMAP', 'VideoMAP', 'TALDetectionMetric',
           'DumpNumpyResults']
