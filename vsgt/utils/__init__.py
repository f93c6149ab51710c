from .checkpoint import read_state_dict, save_initial_checkpoint
from .logs import last_checkpoint, read_test_metrics

__all__ = ['read_state_dict', 'save_initial_checkpoint', 'last_checkpoint', 'read_test_metrics']
