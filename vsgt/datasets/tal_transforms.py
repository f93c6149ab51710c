"""Transforms of :class:`~vsgt.datasets.tal.TALFeatureDataset` samples: load a window, pack."""
import math
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from .tal import read_feature_rows, resample_steps

#: Metainfo every packed TAL sample carries.
TAL_META_KEYS = ('video_name', 'duration', 'feature_rate', 'feature_offset', 'window_start',
                 'window_size', 'scale', 'num_valid')


@TRANSFORMS.register_module()
class LoadTALFeature(BaseTransform):
    """Read the features of a window, resample them when ``scale != 1``, zero-pad.

    Required keys: ``feature_path``, ``num_steps``, ``window_start``, ``window_size``,
    ``scale``. Added keys: ``feature`` float32 ``(window_size, C)`` (window step ``j`` holds the
    feature at original step ``window_start + j * scale``, linearly interpolated) and
    ``num_valid``, the number of steps before the padding.
    """

    def transform(self, results: dict) -> dict:
        start, size, scale = results['window_start'], results['window_size'], results['scale']
        stop = min(results['num_steps'], start + math.ceil(size * scale - 1e-9))
        feature = read_feature_rows(results['feature_path'], start, stop)
        if len(feature) != stop - start:
            raise ValueError(f'{results["feature_path"]}: expected at least {stop} rows, got '
                             f'{start + len(feature)}')
        num_valid = min(size, math.ceil(len(feature) / scale - 1e-9))
        if scale != 1:
            feature = resample_steps(feature, scale, num_valid)
        padded = np.zeros((size, feature.shape[1]), np.float32)
        padded[:num_valid] = feature[:num_valid]
        results['feature'] = padded
        results['num_valid'] = num_valid
        return results


@TRANSFORMS.register_module()
class PackTALInputs(BaseTransform):
    """Pack a TAL sample: ``inputs`` float32 ``(C, window_size)`` and an ``ActionDataSample``.

    The data sample holds ``gt_instances = InstanceData(segments=float32 (k, 2) window steps,
    labels=int64 (k,))`` and the metainfo :data:`TAL_META_KEYS`.

    Args:
        meta_keys: Extra metainfo keys, packed when present in the results (e.g. ``'stitch'``).
    """

    def __init__(self, meta_keys: Sequence[str] = ()) -> None:
        self.meta_keys = tuple(meta_keys)

    def pack_inputs(self, results: dict) -> torch.Tensor:
        """The ``inputs`` tensor of a sample."""
        return torch.from_numpy(np.ascontiguousarray(results['feature'].T, np.float32))

    def transform(self, results: dict) -> dict:
        inputs = self.pack_inputs(results)
        data_sample = ActionDataSample()
        data_sample.gt_instances = InstanceData(
            segments=torch.as_tensor(results['gt_segments'], dtype=torch.float32).reshape(-1, 2),
            labels=torch.as_tensor(results['gt_labels'], dtype=torch.int64).reshape(-1))
        metainfo = {key: results[key] for key in TAL_META_KEYS}
        metainfo.update({key: results[key] for key in self.meta_keys if key in results})
        data_sample.set_metainfo(metainfo)
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
