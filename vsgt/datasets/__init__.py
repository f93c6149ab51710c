"""Datasets: frame-level AVA-layout loading and the synthetic default dataset."""
from .frame_ava import FrameAVADataset, load_proposals, read_label_ids
from .synthetic import (SYNTHETIC_CLASSES, SyntheticVideo, actor_sprite,
                        generate_synthetic_dataset, render_synthetic_video)

__all__ = [
    'FrameAVADataset', 'load_proposals', 'read_label_ids', 'SYNTHETIC_CLASSES',
    'SyntheticVideo', 'actor_sprite', 'generate_synthetic_dataset',
    'render_synthetic_video'
]
