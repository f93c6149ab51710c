"""The person boxes of every frame of a clip, in the pixels of the network input."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS

CLIP_BOX_KEYS = {'proposals': 'clip_proposals', 'gt': 'clip_gt_bboxes'}


@TRANSFORMS.register_module()
class LoadClipPersonBoxes(BaseTransform):
    """Gather the person boxes of the clip's frames as ``clip_proposals`` and
    ``clip_gt_bboxes``: (n, 5) float32 rows ``frame, x1, y1, x2, y2``, where
    ``frame`` is the position in the clip (0 .. clip_len - 1) and the box is in
    the pixels of the transformed frames.

    A frame without annotation (a set annotated every few frames) takes the
    boxes of the nearest annotated frame of its video (the earlier one on a
    tie), so a set that boxes only its key frames gives their boxes.

    Needs ``FrameAVADataset(clip_person_boxes=True)`` and comes after the
    frames' last resize, crop or flip (before ``FormatShape``): it maps the
    normalised boxes through the ``crop_quadruple`` (the cropped part of the
    original frame, which mmaction's crops keep), ``img_shape`` and a
    horizontal ``flip``, as those transforms move the key frame's boxes. Pass
    the two keys to ``PackActionInputs(meta_keys=...)`` for the detector
    (``VSGTFastRCNN(pae_boxes='clip')``).
    """

    def transform(self, results: Dict) -> Dict:
        for key in ('frame_person_boxes', 'frame_inds', 'img_shape'):
            if key not in results:
                raise KeyError(f'LoadClipPersonBoxes needs {key!r} (from FrameAVADataset with '
                               'clip_person_boxes=True, a frame sampler and the decoder)')
        table = results['frame_person_boxes']
        offset = results['frame_timestamp_offset']
        height, width = results['img_shape']
        x0, y0, crop_w, crop_h = np.asarray(results.get('crop_quadruple', (0, 0, 1, 1)),
                                            dtype=np.float64)
        scale = np.array([width / crop_w, height / crop_h] * 2)
        origin = np.array([x0, y0] * 2)
        flip = results.get('flip', False) and \
            results.get('flip_direction', 'horizontal') == 'horizontal'
        stamps = np.array(sorted(table))
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        nearest = [int(stamps[np.abs(stamps - (int(frame) + offset)).argmin()])
                   for frame in frame_inds.tolist()]
        for source, key in CLIP_BOX_KEYS.items():
            rows = []
            for position, stamp in enumerate(nearest):
                boxes = table[stamp][source]
                if boxes is None or len(boxes) == 0:
                    continue
                boxes = (np.asarray(boxes, dtype=np.float64)[:, :4] - origin) * scale
                if flip:
                    boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
                rows.append(np.concatenate([np.full((len(boxes), 1), position), boxes], 1))
            results[key] = (np.concatenate(rows) if rows else np.zeros((0, 5))).astype(
                np.float32)
        return results
