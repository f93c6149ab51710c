"""Data transforms of the VideoLightFormer project."""
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from vsgt.datasets.synthetic import SYNTHETIC_CLASSES

#: Synthetic classes whose time reversal is another class: walk_left <-> walk_right.
SYNTHETIC_REVERSED_LABELS = {
    SYNTHETIC_CLASSES.index('walk_left'): SYNTHETIC_CLASSES.index('walk_right'),
    SYNTHETIC_CLASSES.index('walk_right'): SYNTHETIC_CLASSES.index('walk_left'),
}


@TRANSFORMS.register_module()
class ReverseFrames(BaseTransform):
    """Play the sampled clip backwards and map its label to the reversed action's.

    Put it after a frame sampler (``SampleFrames``): it reverses ``frame_inds`` and replaces
    ``label`` by ``label_map[label]`` (labels absent from the map stay).

    Args:
        label_map: Label of each action played backwards; by default the synthetic set's
            ``walk_left`` <-> ``walk_right``.
        prob: Probability of reversing a clip (1: always, for the reversal-pair test; below 1:
            a training augmentation).
    """

    def __init__(self, label_map: Dict[int, int] = None, prob: float = 1.) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        self.label_map = dict(SYNTHETIC_REVERSED_LABELS if label_map is None else label_map)
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if 'frame_inds' not in results:
            raise KeyError('ReverseFrames needs "frame_inds": put it after a frame sampler')
        if self.prob < 1 and np.random.rand() >= self.prob:
            return results
        results['frame_inds'] = np.ascontiguousarray(results['frame_inds'][::-1])
        label = results.get('label')
        if label is not None:
            results['label'] = self.label_map.get(int(label), label)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(label_map={self.label_map}, prob={self.prob})'
