"""VideoLightFormer: a 2D CNN, a spatial transformer per frame and a spatio-temporal
transformer over all frames' tokens (Koot and Lu, arXiv 2107.00451), on mmaction2."""
import vsgt  # noqa: F401  (its mmaction2 work-arounds come before mmaction.models is imported)

from .checked_rawframe import CheckedRawframeDataset
from .timm_features import TimmFeatures
from .truncated_tsm import TruncatedResNetTSM
from .transforms import SYNTHETIC_REVERSED_LABELS, ReverseFrames
from .vlf_head import VLFHead, sine_temporal_encoding

__all__ = [
    'CheckedRawframeDataset', 'TimmFeatures', 'ReverseFrames', 'SYNTHETIC_REVERSED_LABELS',
    'TruncatedResNetTSM', 'VLFHead', 'sine_temporal_encoding'
]
