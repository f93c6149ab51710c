"""A hook for the resume test: the training process SIGKILLs itself after a given iteration."""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAfterIterHook(Hook):
    """SIGKILL this process (no clean-up, as a crash or an OOM kill) after iteration ``kill_at``."""

    priority = 'LOWEST'

    def __init__(self, kill_at):
        self.kill_at = kill_at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
