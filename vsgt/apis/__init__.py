"""Inference on videos: reading them, person boxes, the action detector and the demo."""
from .demo import Detection, detect_video, render_video, run_demo
from .inference import ActionDetector, build_model, load_model_config
from .persons import (BoxesFilePersons, HOGPersonDetector, MMDetPersonDetector,
                      read_boxes_file)
from .video import VideoSource, video_writer

__all__ = [
    'Detection', 'detect_video', 'render_video', 'run_demo', 'ActionDetector', 'build_model',
    'load_model_config', 'BoxesFilePersons', 'HOGPersonDetector', 'MMDetPersonDetector',
    'read_boxes_file', 'VideoSource', 'video_writer'
]
