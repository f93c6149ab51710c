"""Learning-rate schedules of shortened runs (the benchmarks' ``--iters``)."""
from typing import List


def warmup_then_anneal(warmup: dict, anneal: dict, iters: int, warmup_iters: int) -> List[dict]:
    """A config's warm-up and annealing schedulers (iteration-based) for a run of ``iters``.

    The warm-up covers ``warmup_iters`` iterations, at least 1 and at most ``iters``; the
    annealing runs from its end to ``iters``, and is left out when no iteration is left for it
    (mmengine refuses a scheduler whose end is not after its begin).
    """
    if iters < 1:
        raise ValueError(f'--iters must be at least 1, got {iters}')
    end = max(1, min(warmup_iters, iters))
    steps = [dict(warmup, begin=0, end=end)]
    if iters > end:
        steps.append(dict(anneal, begin=end, end=iters))
    return steps
