"""Exact resume: the random states that training consumes travel with each checkpoint."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

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


@HOOKS.register_module()
class RandomStatesHook(Hook):
    """Save the global random states in every checkpoint and restore them on resume.

    mmengine re-seeds a resumed run from the start, so dropout, drop-path, augmentation and any
    other draw after a resume differ from the uninterrupted run. With this hook (which
    ``tools/train.py`` adds to every config) a run resumed from a checkpoint draws exactly what
    the uninterrupted run drew: its per-iteration losses are the same on the CPU in
    deterministic mode. Loading weights with ``load_from`` (no resume) restores nothing.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._resumed: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = get_random_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._resumed = checkpoint.get(CHECKPOINT_KEY)

    def before_train_epoch(self, runner) -> None:
        states, self._resumed = self._resumed, None
        loop = runner.train_loop
        if states is None or (loop.iter == 0 and loop.epoch == 0):
            return
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator, loop.iter,
                                                         states)
        else:
            set_random_states(states)
