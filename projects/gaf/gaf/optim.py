"""The two optimizers of GAF (detector + attention, CVAE) as one ``OptimWrapperDict``, and
GAF's epoch loop that alternates them."""
from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import LOOPS, OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.runner import EpochBasedTrainLoop

PARTS = ('detector', 'cvae')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GAFOptimWrapperConstructor:
    """Build ``OptimWrapperDict(detector=..., cvae=...)`` for :class:`~.gaf.GAF`.

    ``optim_wrapper = dict(constructor='GAFOptimWrapperConstructor', detector=dict(
    type='OptimWrapper', optimizer=...), cvae=dict(type='OptimWrapper', optimizer=...))``;
    each part is built by mmengine's ``DefaultOptimWrapperConstructor`` (with the shared
    ``paramwise_cfg``) on the modules of the model's ``optim_parts()``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        keys = set(optim_wrapper_cfg)
        if keys != set(PARTS):
            raise KeyError(f'GAFOptimWrapperConstructor needs exactly the keys {list(PARTS)} '
                           f'in optim_wrapper, got {sorted(keys)}')
        self.constructors = {
            name: DefaultOptimWrapperConstructor(dict(optim_wrapper_cfg[name]), paramwise_cfg)
            for name in PARTS}

    def __call__(self, model) -> OptimWrapperDict:
        model = getattr(model, 'module', model)
        if not hasattr(model, 'optim_parts'):
            raise TypeError(f'GAFOptimWrapperConstructor needs a GAF model, got '
                            f'{type(model).__name__}')
        parts = model.optim_parts()
        return OptimWrapperDict(**{name: constructor(parts[name])
                                   for name, constructor in self.constructors.items()})


@LOOPS.register_module()
class GAFTrainLoop(EpochBasedTrainLoop):
    """GAF's official schedule: every epoch is a pass over the training data that trains only
    the CVAE (the model's ``train_phase = 'cvae'``), then a pass that trains only the detector
    and the attention (``'detector'``). Each pass counts its own iterations; epoch hooks run
    once per epoch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._max_iters *= 2

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        model = getattr(self.runner.model, 'module', self.runner.model)
        if not hasattr(model, 'train_phase'):
            raise TypeError(f'GAFTrainLoop needs a GAF model, got {type(model).__name__}')
        try:
            for phase in ('cvae', 'detector'):
                model.train_phase = phase
                for idx, data_batch in enumerate(self.dataloader):
                    self.run_iter(idx, data_batch)
        finally:
            model.train_phase = 'both'
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
