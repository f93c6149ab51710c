"""Training-loop additions registered in mmaction's registries."""
from .hooks import RandomStatesHook, get_random_states, set_random_states

__all__ = ['RandomStatesHook', 'get_random_states', 'set_random_states']
