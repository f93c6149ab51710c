"""Exact resume: the random states that training consumes travel with each checkpoint."""
import multiprocessing
import random
from functools import partial
from typing import Iterator, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from mmaction.registry import HOOKS

CHECKPOINT_KEY = 'random_states'


def get_random_states() -> dict:
    """Python's, numpy's and torch's global random states (and CUDA's when present)."""
    states = dict(python=random.getstate(), numpy=np.random.get_state(),
                  torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: dict) -> None:
    """Restore what :func:`get_random_states` returned."""
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


class _RestoreAfterSkip:
    """Iterator wrapper that restores random states once ``skip`` batches were drawn.

    mmengine's ``IterBasedTrainLoop`` replays the dataloader for the iterations already trained
    (so the sampler and workers reach the same position); the states must be restored after that
    replay and before the first batch that is trained again.
    """

    def __init__(self, iterator, skip: int, states: dict):
        self._iterator, self._skip, self._states = iterator, skip, states

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip == 0 and self._states is not None:
            set_random_states(self._states)
            self._states = None
        self._skip -= 1
        return next(self._iterator)


def model_generators(model) -> Iterator[Tuple[str, torch.Generator]]:
    """``(name, generator)`` of every ``torch.Generator`` a module of ``model`` holds."""
    model = getattr(model, 'module', model)
    for prefix, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, torch.Generator):
                yield (f'{prefix}.{attr}' if prefix else attr), value


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class _EpochSeededPipeline:
    """A dataset pipeline in a loader worker that re-seeds the worker's random generators when
    an epoch begins, from the seed the main process drew for that epoch."""

    def __init__(self, pipeline, epoch_seed, worker: int) -> None:
        self._pipeline, self._epoch_seed, self._worker = pipeline, epoch_seed, worker
        self._seeded = None

    def __call__(self, results):
        seed = self._epoch_seed.value
        if seed != self._seeded:
            self._seeded = seed
            _seed_everything(seed + 7919 * self._worker)
        return self._pipeline(results)

    def __getattr__(self, name):
        return getattr(self._pipeline, name)


def _datasets(dataset):
    """``dataset`` and the datasets it wraps (``RepeatDataset``, ``ConcatDataset``, ...)."""
    yield dataset
    for child in getattr(dataset, 'datasets', None) or ():
        yield from _datasets(child)
    if getattr(dataset, 'dataset', None) is not None:
        yield from _datasets(dataset.dataset)


def _epoch_seeded_worker_init(worker_id: int, original, epoch_seed, worker_offset: int) -> None:
    if original is not None:
        original(worker_id)
    for dataset in _datasets(torch.utils.data.get_worker_info().dataset):
        if callable(getattr(dataset, 'pipeline', None)):
            dataset.pipeline = _EpochSeededPipeline(dataset.pipeline, epoch_seed,
                                                    worker_offset + worker_id)


@HOOKS.register_module()
class RandomStatesHook(Hook):
    """Save the random states in every checkpoint and restore them on resume.

    mmengine re-seeds a resumed run from the start, so dropout, drop-path, augmentation and any
    other draw after a resume differ from the uninterrupted run. With this hook (which
    ``tools/train.py`` adds to every config) a run resumed from a checkpoint draws exactly what
    the uninterrupted run drew: its per-iteration losses are the same on the CPU in
    deterministic mode. Saved and restored: the global Python, numpy, torch (and CUDA) states
    and every ``torch.Generator`` a module of the model holds. In epoch loops with loader
    workers, the workers' generators are re-seeded at each epoch's start from a seed drawn from
    the restored global state, so persistent workers, which a resumed run starts afresh, draw
    the same as the uninterrupted run's. Loading weights with ``load_from`` (no resume) restores
    nothing.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._resumed: Optional[dict] = None
        self._epoch_seed = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = dict(
            get_random_states(),
            generators={name: generator.get_state()
                        for name, generator in model_generators(runner.model)})

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._resumed = checkpoint.get(CHECKPOINT_KEY)
        saved = (self._resumed or {}).get('generators', {})
        for name, generator in model_generators(runner.model):
            if name in saved:
                generator.set_state(saved[name])

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        loader = getattr(loop, 'dataloader', None)
        if not isinstance(loop, EpochBasedTrainLoop) or not getattr(loader, 'num_workers', 0):
            return
        self._epoch_seed = multiprocessing.RawValue('q', -1)
        # Starting workers draws their base seed from the loader's generator, by default the
        # global one: a resumed run starts its persistent workers one epoch later than the
        # uninterrupted run did, so that draw must not come from the global stream.
        loader.generator = torch.Generator().manual_seed(0)
        loader.worker_init_fn = partial(_epoch_seeded_worker_init,
                                        original=loader.worker_init_fn,
                                        epoch_seed=self._epoch_seed,
                                        worker_offset=get_rank() * loader.num_workers)

    def before_train_epoch(self, runner) -> None:
        states, self._resumed = self._resumed, None
        loop = runner.train_loop
        if states is not None and not (loop.iter == 0 and loop.epoch == 0):
            if isinstance(loop, IterBasedTrainLoop):
                loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator, loop.iter,
                                                             states)
            else:
                set_random_states(states)
        if self._epoch_seed is not None:
            self._epoch_seed.value = int(torch.randint(0, 2**62, ()).item())
