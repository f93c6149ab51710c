"""The two optimizers of GAF (detector + attention, CVAE) as one ``OptimWrapperDict``."""
from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

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
