"""Person boxes for the demo: an mmdet detector, a boxes file or OpenCV's HOG detector.

Each source is a callable ``(frame_index, bgr_frame) -> (n, 5) float32`` array of rows ``x1, y1,
x2, y2, score`` in the frame's pixels, clipped to the frame.

Boxes file (``--boxes``): person boxes per 0-based frame index, in the video's pixels, either

* JSON: ``{"0": [[x1, y1, x2, y2], [x1, y1, x2, y2, score]], "8": [...]}``, or
* CSV: rows ``frame,x1,y1,x2,y2[,score]`` (an optional first line ``frame,x1,y1,x2,y2,...``).

A box without a score gets 1. Frames absent from the file have no person.
"""
import csv
import json
import math
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np

#: OpenCV's HOG people detector: window (width, height), stride and pyramid scale.
HOG_WINDOW = (64, 128)
HOG_STRIDE = (8, 8)
HOG_SCALE = 1.05


def _clip_boxes(boxes: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Clip (n, 5) boxes to the frame; drop the ones left without area."""
    height, width = frame.shape[:2]
    boxes = boxes.astype(np.float32).reshape(-1, 5)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


class HOGPersonDetector:
    """OpenCV's built-in HOG + linear SVM pedestrian detector (no download, weak).

    The frame is scaled down to at most ``max_height`` rows and padded by half a detection
    window (edge pixels repeated), so that people cut by the frame's border are found too;
    overlapping detections are suppressed (IoU > ``nms_iou``).

    Args:
        score_thr: Lowest SVM margin kept (OpenCV's detection weight; about 0 to 3).
        max_height: Frames taller than this are scaled down first (speed).
        nms_iou: IoU above which the lower-scored of two boxes is dropped.
    """

    def __init__(self, score_thr: float = 1.0, max_height: int = 480, nms_iou: float = 0.5):
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.score_thr = score_thr
        self.max_height = max_height
        self.nms_iou = nms_iou

    def __call__(self, index: int, frame: np.ndarray) -> np.ndarray:
        scale = min(1.0, self.max_height / frame.shape[0])
        image = frame if scale == 1 else cv2.resize(frame, None, fx=scale, fy=scale,
                                                     interpolation=cv2.INTER_AREA)
        pad_x, pad_y = HOG_WINDOW[0] // 2, HOG_WINDOW[1] // 2
        image = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
        rects, weights = self.hog.detectMultiScale(image, winStride=HOG_STRIDE, scale=HOG_SCALE)
        if len(rects) == 0:
            return np.zeros((0, 5), np.float32)
        rects, weights = np.asarray(rects, np.float32), np.ravel(weights).astype(np.float32)
        keep = cv2.dnn.NMSBoxes(rects.tolist(), weights.tolist(), self.score_thr, self.nms_iou)
        rects, weights = rects[np.ravel(keep).astype(int)], weights[np.ravel(keep).astype(int)]
        x1, y1 = rects[:, 0] - pad_x, rects[:, 1] - pad_y
        boxes = np.column_stack([x1, y1, x1 + rects[:, 2], y1 + rects[:, 3]]) / scale
        return _clip_boxes(np.column_stack([boxes, weights]), frame)


class MMDetPersonDetector:
    """An mmdet detector (``init_detector`` / ``inference_detector``) keeping one category.

    Args:
        config: mmdet config file.
        checkpoint: Its checkpoint.
        device: ``'cpu'`` or ``'cuda'``.
        score_thr: Lowest score kept.
        category: Label index of a person (0 for COCO detectors).
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu',
                 score_thr: float = 0.5, category: int = 0):
        from mmdet.apis import init_detector
        from mmengine.registry import DefaultScope
        for what, path in (('--det-config', config), ('--det-checkpoint', checkpoint)):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{what} not found: {path}')
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.model = init_detector(config, checkpoint, device=device)
        self.score_thr = score_thr
        self.category = category

    def __call__(self, index: int, frame: np.ndarray) -> np.ndarray:
        from mmdet.apis import inference_detector
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmdet'):
            pred = inference_detector(self.model, frame).pred_instances.cpu().numpy()
        keep = (pred.labels == self.category) & (pred.scores >= self.score_thr)
        return _clip_boxes(np.column_stack([pred.bboxes[keep], pred.scores[keep]]), frame)


def _box_row(values, where: str) -> list:
    try:
        row = [float(value) for value in values]
    except (TypeError, ValueError):
        raise ValueError(f'{where}: expected numbers x1, y1, x2, y2[, score], got '
                         f'{values!r}') from None
    if len(row) not in (4, 5) or not all(math.isfinite(value) for value in row):
        raise ValueError(f'{where}: expected 4 or 5 finite numbers x1, y1, x2, y2[, score], '
                         f'got {values!r}')
    if row[2] <= row[0] or row[3] <= row[1]:
        raise ValueError(f'{where}: a box needs x2 > x1 and y2 > y1, got {values!r}')
    return row + [1.0] * (5 - len(row))


def _frame_index(value: str, where: str) -> int:
    try:
        index = int(value)
    except ValueError:
        raise ValueError(f'{where}: frame {value!r} is not an integer') from None
    if index < 0:
        raise ValueError(f'{where}: frame {index} is negative (frames count from 0)')
    return index


def read_boxes_file(path: str) -> Dict[int, np.ndarray]:
    """Person boxes of a JSON or CSV boxes file (see the module): frame -> (n, 5) array."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'boxes file not found: {path}')
    rows: Dict[int, list] = {}
    if path.lower().endswith('.json'):
        try:
            with open(path) as file:
                content = json.load(file)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f'{path}: not valid JSON ({exc})') from None
        if not isinstance(content, dict):
            raise ValueError(f'{path}: expected an object {{"frame": [[x1, y1, x2, y2], ...]}}, '
                             f'got {type(content).__name__}')
        for key, boxes in content.items():
            where = f'{path}, frame {key!r}'
            if not isinstance(boxes, list):
                raise ValueError(f'{where}: expected a list of boxes, got {boxes!r}')
            rows.setdefault(_frame_index(key, where), []).extend(
                _box_row(box, f'{where}, box {i}') for i, box in enumerate(boxes))
    elif path.lower().endswith('.csv'):
        with open(path, newline='') as file:
            for number, fields in enumerate(csv.reader(file), 1):
                if not fields or (number == 1 and fields[0].strip().lower() == 'frame'):
                    continue
                where = f'{path}, row {number}'
                rows.setdefault(_frame_index(fields[0].strip(), where), []).append(
                    _box_row(fields[1:], where))
    else:
        raise ValueError(f'boxes file {path}: expected a .json or .csv file')
    if not rows:
        raise ValueError(f'{path}: holds no box')
    return {index: np.array(boxes, np.float32).reshape(-1, 5) for index, boxes in rows.items()}


class BoxesFilePersons:
    """The person boxes of a boxes file (:func:`read_boxes_file`), scores >= ``score_thr``."""

    def __init__(self, path: str, score_thr: Optional[float] = None):
        self.boxes = read_boxes_file(path)
        self.score_thr = score_thr

    def __call__(self, index: int, frame: np.ndarray) -> np.ndarray:
        boxes = self.boxes.get(index, np.zeros((0, 5), np.float32))
        if self.score_thr is not None:
            boxes = boxes[boxes[:, 4] >= self.score_thr]
        return _clip_boxes(boxes, frame)
