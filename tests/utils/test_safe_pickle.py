"""vsgt.utils.safe_pickle: the project's pickles load; a pickle that would run code does not."""
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

from vsgt.datasets import load_proposals
from vsgt.evaluation.functional import read_act_pickle
from vsgt.utils.safe_pickle import safe_load, safe_loads


class _RunsCode:
    """Unpickling it would call ``os.system`` (what a hostile proposals file does)."""

    def __reduce__(self):
        return os.system, ('touch PWNED',)


def _ucf_like():
    return {'labels': ['Basketball', 'Biking'], 'nframes': {'v1': 3},
            'train_videos': [['v1']], 'test_videos': [[]], 'resolution': {'v1': (240, 320)},
            'gttubes': {'v1': {0: [np.array([[1, 10, 20, 30, 40.]], np.float32)]}}}


@pytest.mark.parametrize('protocol', range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_builtin_and_numpy_content_round_trips_at_every_protocol(protocol):
    obj = {'a': [1, 2.5, True, None, 'x', b'y', (3, 4)], 'f': frozenset({1}), 's': {2},
           'o': OrderedDict(k=np.float64(0.25)), 'arr': np.arange(6, dtype=np.int16).reshape(2, 3),
           'dt': np.dtype('float32'), 'i': np.int64(7), 'c': 1 + 2j, 'r': range(3)}
    loaded = safe_loads(pickle.dumps(obj, protocol=protocol))
    assert loaded.keys() == obj.keys()
    np.testing.assert_array_equal(loaded['arr'], obj['arr'])
    assert loaded['arr'].dtype == np.int16 and loaded['dt'] == np.float32
    assert loaded['i'] == 7 and isinstance(loaded['i'], np.int64)
    assert loaded['a'] == obj['a'] and loaded['o'] == obj['o'] and loaded['r'] == range(3)


def test_a_payload_calling_a_function_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'proposals.pkl'
    path.write_bytes(pickle.dumps({'v,0001': _RunsCode()}))
    with pytest.raises(ValueError, match=r'proposals.pkl: refused to load the pickle: it holds '
                       r'the type posix.system'):
        load_proposals(str(path))
    assert not (tmp_path / 'PWNED').exists()


def test_refusals_name_the_type_for_every_reader(tmp_path):
    path = tmp_path / 'gt.pkl'
    path.write_bytes(pickle.dumps({'labels': _RunsCode()}, protocol=2))
    with pytest.raises(ValueError, match=r'gt.pkl: refused .* type posix.system'):
        read_act_pickle(str(path))
    path.write_bytes(pickle.dumps([np.random.default_rng(0)]))
    with pytest.raises(ValueError, match=r'refused .* numpy.random'):
        safe_load(str(path))


def test_python2_pickles_with_numpy_arrays_load(tmp_path):
    # Protocol 2 with Python 2 spellings (__builtin__, str as latin-1 bytes), as UCF101v2-GT.pkl.
    data = pickle.dumps(_ucf_like(), protocol=2, fix_imports=True)
    assert b'__builtin__' in pickle.dumps({1}, protocol=2, fix_imports=True)
    path = tmp_path / 'UCF101v2-GT.pkl'
    path.write_bytes(data)
    loaded = read_act_pickle(str(path))
    np.testing.assert_array_equal(loaded['gttubes']['v1'][0][0], [[1, 10, 20, 30, 40]])
    assert loaded['resolution'] == {'v1': (240, 320)}
    assert safe_loads(pickle.dumps({1, 2}, protocol=2, fix_imports=True)) == {1, 2}


def test_real_format_proposals_load(tmp_path):
    path = tmp_path / 'proposals.pkl'
    boxes = np.array([[0.1, 0.2, 0.5, 0.9, 0.97]], np.float32)
    path.write_bytes(pickle.dumps({'video_a,0007': boxes}))
    np.testing.assert_array_equal(load_proposals(str(path))['video_a,0007'], boxes)


def test_truncated_and_missing_files_give_one_line_errors(tmp_path):
    path = tmp_path / 'cut.pkl'
    path.write_bytes(pickle.dumps(_ucf_like())[:-10])
    with pytest.raises(ValueError, match='cut.pkl: not a readable pickle'):
        safe_load(str(path))
    with pytest.raises(FileNotFoundError, match='ground-truth file .*nope.pkl not found'):
        read_act_pickle(str(tmp_path / 'nope.pkl'))
