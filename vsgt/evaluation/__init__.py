"""Evaluation of action detection: frame-mAP and video-mAP (spatio-temporal), temporal mAP.

``functional`` holds the algorithms on plain arrays and the official file formats; ``metrics``
the mmengine metrics ``FrameMAP``, ``VideoMAP`` and ``TALDetectionMetric`` (registered in
mmaction's ``METRICS``).
"""
from . import functional
from .metrics import DetectionMetric, FrameMAP, TALDetectionMetric, VideoMAP

__all__ = ['functional', 'DetectionMetric', 'FrameMAP', 'TALDetectionMetric', 'VideoMAP']
