"""Reading a video (file or folder of frames) in order, and writing one without half-files."""
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
DEFAULT_FPS = 25.0


def _natural_key(name: str):
    """Sort key that puts ``img_2`` before ``img_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


class VideoSource:
    """The frames of a video file (decoded with PyAV) or of a folder of images (sorted by name,
    numbers in numeric order), read in order as BGR ``uint8`` arrays; iterate it again to read
    them again.

    Args:
        path: Video file (mp4, avi, ... anything FFmpeg decodes) or folder of images.
        max_frames: Read at most this many frames (None: all).
        fps: Frame rate to report; None takes the file's (a folder: 25).

    Raises ValueError naming ``path`` when it cannot be decoded, holds no frame or its frames
    differ in size; FileNotFoundError when it does not exist.
    """

    def __init__(self, path: str, max_frames: Optional[int] = None,
                 fps: Optional[float] = None):
        if not osp.exists(path):
            raise FileNotFoundError(f'video not found: {path}')
        if max_frames is not None and max_frames < 1:
            raise ValueError(f'max_frames must be at least 1, got {max_frames}')
        self.path = path
        self.max_frames = max_frames
        self.files = None
        if osp.isdir(path):
            self.files = sorted((name for name in os.listdir(path)
                                 if name.lower().endswith(IMAGE_EXTENSIONS)), key=_natural_key)
            if not self.files:
                raise ValueError(f'{path}: no frames (a frames folder needs images named '
                                 f'*{"/*".join(IMAGE_EXTENSIONS)})')
            self.fps, count = DEFAULT_FPS, len(self.files)
        else:
            self.fps, count = self._probe()
        self.expected_frames = count if max_frames is None or count is None else \
            min(count, max_frames)
        if fps is not None:
            if not fps > 0:
                raise ValueError(f'fps must be positive, got {fps}')
            self.fps = float(fps)
        frames = iter(self)
        first = next(frames, None)
        frames.close()
        if first is None:
            raise ValueError(f'{path}: no frames')
        self.height, self.width = first.shape[:2]

    def _open(self):
        import av
        try:
            container = av.open(self.path)
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise ValueError(f'cannot decode video {self.path}: {exc}') from None
        if not container.streams.video:
            container.close()
            raise ValueError(f'cannot decode video {self.path}: it has no video stream')
        return container, container.streams.video[0]

    def _probe(self) -> Tuple[float, Optional[int]]:
        container, stream = self._open()
        with container:
            rate = stream.average_rate or stream.guessed_rate
            return (float(rate) if rate else DEFAULT_FPS), (stream.frames or None)

    def _decode(self) -> Iterator[np.ndarray]:
        import av
        if self.files is not None:
            for name in self.files:
                frame = cv2.imread(osp.join(self.path, name), cv2.IMREAD_COLOR)
                if frame is None:
                    raise ValueError(f'cannot read frame {osp.join(self.path, name)}')
                yield frame
            return
        container, stream = self._open()
        with container:
            index = 0
            try:
                for frame in container.decode(stream):
                    yield frame.to_ndarray(format='bgr24')
                    index += 1
            except av.error.FFmpegError as exc:
                raise ValueError(f'cannot decode video {self.path} at frame {index}: '
                                 f'{exc}') from None

    def __iter__(self) -> Iterator[np.ndarray]:
        shape = None
        for index, frame in enumerate(self._decode()):
            if self.max_frames is not None and index >= self.max_frames:
                return
            if shape is None:
                shape = frame.shape
            elif frame.shape != shape:
                raise ValueError(f'{self.path}: frame {index} is {frame.shape[1]}x'
                                 f'{frame.shape[0]}, frame 0 {shape[1]}x{shape[0]}')
            yield frame

    def read(self, indices: Sequence[int]) -> List[np.ndarray]:
        """The frames at ``indices`` (0-based; any order, repeats allowed)."""
        wanted = set(indices)
        if min(wanted) < 0:
            raise ValueError(f'{self.path}: negative frame index {min(wanted)}')
        found = {}
        for index, frame in enumerate(self):
            if index in wanted:
                found[index] = frame
            if len(found) == len(wanted):
                break
        missing = sorted(wanted - set(found))
        if missing:
            raise ValueError(f'{self.path}: has no frame {missing[0]} (it has {index + 1})')
        return [found[index] for index in indices]


@contextmanager
def video_writer(path: str, fps: float, size: Tuple[int, int], fourcc: str = 'mp4v'):
    """An OpenCV writer of ``size`` (width, height) frames that fills ``path`` only on success.

    Frames go to a hidden temporary file beside ``path`` that replaces it when the ``with``
    block ends without an exception and is removed otherwise.
    """
    directory, name = osp.split(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    stem, extension = osp.splitext(name)
    temp_path = osp.join(directory, f'.{stem}.partial{extension}')
    writer = cv2.VideoWriter(temp_path, cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise ValueError(f'cannot write video {path}: OpenCV has no {fourcc} writer for '
                         f'"{extension}" files (use .mp4 or .avi)')
    try:
        yield writer
        writer.release()
        os.replace(temp_path, path)
    finally:
        writer.release()
        if osp.exists(temp_path):
            os.remove(temp_path)
