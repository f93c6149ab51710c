"""VSGTRunner: two runners built within the same second in one process keep apart."""
import time

from mmengine.model import BaseModel

from vsgt.engine import VSGTRunner


class _Model(BaseModel):

    def forward(self, *args, **kwargs):
        return {}


def test_runners_built_in_the_same_second_get_their_own_log_dir_and_logger(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(time, 'time', lambda: 1_800_000_000.0)
    first = VSGTRunner(model=_Model(), work_dir=str(tmp_path / 'a'), default_scope='mmaction')
    second = VSGTRunner(model=_Model(), work_dir=str(tmp_path / 'b'), default_scope='mmaction')
    assert second.timestamp.startswith(first.timestamp) and second.timestamp != first.timestamp
    assert second.logger is not first.logger
    assert second.visualizer is not first.visualizer
    assert second.log_dir.startswith(str(tmp_path / 'b'))
    files = [h.baseFilename for h in second.logger.handlers if hasattr(h, 'baseFilename')]
    assert files and all(f.startswith(str(tmp_path / 'b')) for f in files)
