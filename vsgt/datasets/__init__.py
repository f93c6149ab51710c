"""Datasets: frame-level AVA-layout loading, temporal action localization on features and
on frame arrays, and the synthetic datasets."""
from .clip_boxes import LoadClipPersonBoxes
from .frame_ava import FrameAVADataset, load_proposals, read_label_ids
from .synthetic import (SYNTHETIC_CLASSES, SYNTHETIC_PRESETS, SyntheticStyle, SyntheticVideo,
                        actor_sprite, generate_synthetic_dataset, render_synthetic_video)
from .synthetic_tal import (TAL_FRAME_PRESETS, TAL_PRESETS, TALFramePreset, TALPreset,
                            frames_to_features, generate_synthetic_tal,
                            generate_synthetic_tal_frames, render_synthetic_tal_frames)
from .tal import (TALFeatureDataset, action_overlap, load_tal_annotations, read_feature_rows,
                  read_feature_shape, seconds_to_window, window_starts, window_to_seconds)
from .tal_frames import (LoadTALFrames, PackTALFrames, TALFrameCenterCrop, TALFrameDataset,
                         TALFrameFlip, TALFrameRandomCrop, afsd_window_actions, read_frames_shape)
from .tal_transforms import LoadTALFeature, PackTALInputs

__all__ = [
    'FrameAVADataset', 'LoadClipPersonBoxes', 'load_proposals', 'read_label_ids', 'SYNTHETIC_CLASSES',
    'SYNTHETIC_PRESETS', 'SyntheticStyle', 'SyntheticVideo', 'actor_sprite', 'generate_synthetic_dataset',
    'render_synthetic_video', 'TALFeatureDataset', 'load_tal_annotations', 'read_feature_rows',
    'read_feature_shape', 'seconds_to_window', 'window_starts', 'window_to_seconds',
    'LoadTALFeature', 'PackTALInputs', 'TAL_PRESETS', 'TALPreset', 'generate_synthetic_tal',
    'action_overlap', 'TALFrameDataset', 'LoadTALFrames', 'TALFrameRandomCrop', 'TALFrameCenterCrop',
    'TALFrameFlip', 'PackTALFrames', 'afsd_window_actions', 'read_frames_shape',
    'TAL_FRAME_PRESETS', 'TALFramePreset', 'frames_to_features', 'generate_synthetic_tal_frames',
    'render_synthetic_tal_frames'
]
