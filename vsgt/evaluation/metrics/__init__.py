"""mmengine metrics (registered in mmaction's METRICS): FrameMAP and VideoMAP."""
from .base import DetectionMetric, format_ap_table
from .frame_map import FrameMAP
from .video_map import VideoMAP

__all__ = ['DetectionMetric', 'format_ap_table', 'FrameMAP', 'VideoMAP']
