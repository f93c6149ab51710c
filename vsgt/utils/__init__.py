from .checkpoint import check_checkpoint, save_initial_checkpoint
from .logs import last_checkpoint, read_test_metrics

__all__ = ['check_checkpoint', 'save_initial_checkpoint', 'last_checkpoint', 'read_test_metrics']
