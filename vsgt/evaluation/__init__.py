"""Evaluation of spatio-temporal action detection: frame-mAP and video-mAP.

``functional`` holds the algorithms on plain arrays and the official file formats; ``metrics``
the mmengine metrics ``FrameMAP`` and ``VideoMAP`` (registered in mmaction's ``METRICS``).
"""
from . import functional
from .metrics import DetectionMetric, FrameMAP, VideoMAP

__all__ = ['functional', 'DetectionMetric', 'FrameMAP', 'VideoMAP']
