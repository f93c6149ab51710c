"""Training-loop additions registered in mmaction's registries."""
from .hooks import RandomStatesHook, get_random_states, set_random_states
from .runner import VSGTRunner
from .show import DetectionShowHook

__all__ = ['DetectionShowHook', 'RandomStatesHook', 'VSGTRunner', 'get_random_states', 'set_random_states']
