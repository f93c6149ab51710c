"""FBIL (Chen et al., ACM MM 2023): foreground/background-masked interaction learning, a shared
head of mmaction2's AVA RoI head, with AVA's pose-softmax loss."""
import vsgt  # noqa: F401  (its mmaction2 work-arounds come before mmaction.models is imported)

from .ava import SafeAVADataset, ava_ground_truth
from .bbox_head import AVA60_POSE_CLASSES, BBoxHeadAVAPoseSoftmax
from .fbil_head import FBILHead, draw_hidden, foreground_region

__all__ = [
    'FBILHead', 'foreground_region', 'draw_hidden', 'BBoxHeadAVAPoseSoftmax',
    'AVA60_POSE_CLASSES', 'SafeAVADataset', 'ava_ground_truth'
]
