"""Hooks for the resume tests: the training process SIGKILLs itself after a given iteration or
while it writes a checkpoint, or its disk fills up."""
import errno
import os
import signal

import torch
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


@HOOKS.register_module()
class BreakSaveHook(Hook):
    """Break the checkpoint save of iteration ``at`` half way: ``how='kill'`` SIGKILLs the
    process, ``how='disk_full'`` raises ``OSError(ENOSPC)`` as a full disk does."""

    def __init__(self, at, how='kill'):
        self.at, self.how = at, how

    def before_save_checkpoint(self, runner, checkpoint):
        if runner.iter + 1 != self.at:
            return

        save = torch.save

        def broken_save(obj, file, *args, **kwargs):
            file.write(b'PK\x03\x04 half a checkpoint')
            file.flush()
            if self.how == 'kill':
                os.kill(os.getpid(), signal.SIGKILL)
            torch.save = save  # one save fails (the process may go on, e.g. under pytest)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        torch.save = broken_save
