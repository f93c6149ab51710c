"""``tools/test.py --dump``: raw predictions as a pickle of builtin and numpy types only."""
from typing import Any, Sequence

import torch
from mmengine.evaluator.metric import DumpResults
from mmengine.logging import print_log

from mmaction.registry import METRICS
from ..functional import dump_pickle


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
    project's tools read it back without unpickling arbitrary classes.
    """

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        self.results.extend(to_numpy(list(predictions)))

    def compute_metrics(self, results: list) -> dict:
        dump_pickle(results, self.out_file_path)
        print_log(f'Results have been saved to {self.out_file_path}.', logger='current')
        return {}
