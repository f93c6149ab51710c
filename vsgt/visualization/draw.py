"""Drawing detections and notes on BGR frames with OpenCV (in place)."""
from typing import Sequence

import cv2
import numpy as np

BOX_COLOR = (60, 220, 60)
TEXT_COLOR = (255, 255, 255)
NOTE_COLOR = (0, 0, 200)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text_scale(frame: np.ndarray) -> float:
    return max(0.35, frame.shape[0] / 700)


def _text_block(frame: np.ndarray, lines: Sequence[str], x: int, y: int, background) -> None:
    """Lines of text on a filled background, the block's top-left corner at (x, y) (moved to
    stay inside the frame)."""
    scale = _text_scale(frame)
    thickness = max(1, round(scale * 1.5))
    sizes = [cv2.getTextSize(line, FONT, scale, thickness)[0] for line in lines]
    line_height = max(h for _, h in sizes) + max(4, round(8 * scale))
    width = max(w for w, _ in sizes) + 6
    height = line_height * len(lines)
    x = int(min(max(x, 0), max(frame.shape[1] - width, 0)))
    y = int(min(max(y, 0), max(frame.shape[0] - height, 0)))
    cv2.rectangle(frame, (x, y), (x + width, y + height), background, cv2.FILLED)
    for i, line in enumerate(lines):
        baseline = y + (i + 1) * line_height - max(2, round(4 * scale))
        cv2.putText(frame, line, (x + 3, baseline), FONT, scale, TEXT_COLOR, thickness,
                    cv2.LINE_AA)


def draw_person(frame: np.ndarray, box: Sequence[float], lines: Sequence[str]) -> None:
    """A person's box (x1, y1, x2, y2 pixels) and text lines (e.g. actions) at its top."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    thickness = max(2, round(frame.shape[0] / 250))
    cv2.rectangle(frame, (x1, y1), (x2, y2), BOX_COLOR, thickness)
    if lines:
        _text_block(frame, lines, x1 + thickness, y1 + thickness, (40, 110, 40))


def draw_notes(frame: np.ndarray, notes: Sequence[str]) -> None:
    """Notes (e.g. a warning) in the top-left corner."""
    if notes:
        _text_block(frame, notes, 0, 0, NOTE_COLOR)
