"""``tools/test.py --dump``: raw predictions as a pickle of builtin and numpy types only."""
import json
import os.path as osp
import time
from typing import Any, Optional, Sequence

import torch
from mmengine.evaluator.metric import DumpResults
from mmengine.logging import print_log

from mmaction.registry import METRICS
from ..functional import dump_pickle
from ..functional.formats import atomic_write


def to_numpy(value: Any) -> Any:
    """``value`` with every tensor, in any nesting of dicts, lists and tuples, as numpy."""
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {key: to_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(item) for item in value)
    return value


@METRICS.register_module()
class DumpNumpyResults(DumpResults):
    """mmengine's ``DumpResults`` with tensors stored as numpy arrays, written atomically.

    The file then holds only types that :func:`vsgt.utils.safe_pickle.safe_load` admits, so the
    project's tools read it back without unpickling arbitrary classes. With ``checkpoint``,
    ``<out_file_path>.meta.json`` beside it names the checkpoint that made it (written after the
    dump: a dump and its record always belong together).

    Args:
        out_file_path: The pickle to write (``.pkl`` / ``.pickle``).
        checkpoint: The checkpoint whose predictions these are.
    """

    def __init__(self, out_file_path: str, checkpoint: Optional[str] = None, **kwargs) -> None:
        super().__init__(out_file_path, **kwargs)
        self.checkpoint = checkpoint

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        self.results.extend(to_numpy(list(predictions)))

    def compute_metrics(self, results: list) -> dict:
        dump_pickle(results, self.out_file_path)
        if self.checkpoint is not None:
            record = dict(checkpoint=osp.abspath(self.checkpoint), results=len(results),
                          written=time.strftime('%Y-%m-%d %H:%M:%S'))
            atomic_write(f'{self.out_file_path}.meta.json',
                         lambda file: json.dump(record, file, indent=1), binary=False)
        source = f' (checkpoint {self.checkpoint})' if self.checkpoint is not None else ''
        print_log(f'Results have been saved to {self.out_file_path}{source}.', logger='current')
        return {}
