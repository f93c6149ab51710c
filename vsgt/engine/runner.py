"""mmengine's Runner with a short console (the environment, config and hook order go to the log
file only, and the console gets one line saying where they are) and a timestamp of its own."""
import logging

import torch
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

#: Starts of the multi-line records mmengine's Runner logs while it is built.
FILE_ONLY_RECORDS = ('\n' + '-' * 60 + '\nSystem environment:', 'Config:\n',
                     'Hooks will be executed in the following order:')


class _FileOnly(logging.Filter):
    """Drops the records of :data:`FILE_ONLY_RECORDS` (installed on console handlers)."""

    def filter(self, record):
        return not (isinstance(record.msg, str) and record.msg.startswith(FILE_ONLY_RECORDS))


FILE_ONLY = _FileOnly()


@RUNNERS.register_module()
class VSGTRunner(Runner):
    """:class:`mmengine.runner.Runner` whose console leaves out the environment, the config and
    the hook order (about 350 lines); the log file keeps them.

    mmengine names the log directory, logger, message hub and visualizer after the second the
    runner was built, and ``get_instance`` hands back an existing instance of that name: a second
    runner built within the same second in one process would write its log and config into the
    first one's directory, through the first one's (perhaps closed) streams. Each runner here
    gets a timestamp no earlier runner of this process has used (``_2``, ``_3``, ... appended).
    """

    _timestamps_used = set()

    def setup_env(self, *args, **kwargs):
        super().setup_env(*args, **kwargs)
        stamp, count = self._timestamp, 1
        while self._timestamp in VSGTRunner._timestamps_used:
            count += 1
            self._timestamp = f'{stamp}_{count}'
        VSGTRunner._timestamps_used.add(self._timestamp)

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.addFilter(FILE_ONLY)
        return logger

    def _log_env(self, *args, **kwargs):
        super()._log_env(*args, **kwargs)
        files = [h.baseFilename for h in self.logger.handlers
                 if isinstance(h, logging.FileHandler)]
        where = f'; environment, config and hooks in {files[0]}' if files else ''
        self.logger.info(f'torch {torch.__version__}, CUDA '
                         f'{"available" if torch.cuda.is_available() else "not available"}, '
                         f'seed {self.seed}{where}')
