"""Inference on videos: reading them, person boxes, the action detector and its demo, the
recognizer and the temporal localizer."""
from .demo import Detection, detect_video, render_video, run_demo
from .inference import ActionDetector, build_model, load_model_config, random_weights_banner
from .localization import TemporalLocalizer
from .persons import (BoxesFilePersons, HOGPersonDetector, MMDetPersonDetector,
                      read_boxes_file)
from .recognition import ActionRecognizer, read_class_names
from .video import VideoSource, video_writer

__all__ = [
    'Detection', 'detect_video', 'render_video', 'run_demo', 'ActionDetector', 'build_model',
    'load_model_config', 'random_weights_banner', 'ActionRecognizer', 'read_class_names',
    'BoxesFilePersons', 'HOGPersonDetector', 'MMDetPersonDetector', 'read_boxes_file',
    'TemporalLocalizer', 'VideoSource', 'video_writer'
]
