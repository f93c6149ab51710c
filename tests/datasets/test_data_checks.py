"""Bad data gets one line naming the file and the entry: non-finite or complex features,
duplicate JSON keys (annotations, submissions, the ActivityNet converter's input), duplicate
durations, label maps with a duplicate id, unknown subsets (a warning), a bad ``fps``, a label
that is a list; ``eval_tal.py`` refuses what the dataset refuses."""
import json
import logging

import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from conftest import run_in_process
from vsgt.datasets import TALFeatureDataset
from vsgt.datasets.frame_ava import read_label_map
from vsgt.datasets.tal_converters import convert_activitynet, read_durations
from vsgt.evaluation.functional import load_tal_ground_truth, read_tal_submission
from vsgt.testing import load_script
from vsgt.utils.jsonfile import load_json

PIPELINE = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def video(subset='validation', label='a', **extra):
    return dict(subset=subset, duration=8., annotations=[dict(segment=[1, 3], label=label)],
                **extra)


def write_set(root, database, features=None):
    """Annotations (``database`` as JSON, or raw text) and features ``(8, 2)`` per video."""
    (root / 'features').mkdir(parents=True, exist_ok=True)
    names = database if isinstance(database, dict) else {}
    for name in names:
        feature = (features or {}).get(name, np.ones((8, 2), np.float32))
        np.save(root / 'features' / f'{name}.npy', feature)
    ann_file = root / 'ann.json'
    ann_file.write_text(json.dumps(dict(version='1', database=database))
                        if isinstance(database, dict) else database)
    return str(ann_file)


def dataset(root, subset='validation', **kwargs):
    return TALFeatureDataset(str(root / 'ann.json'), PIPELINE, subset=subset,
                             data_prefix=dict(feature=str(root / 'features')), feature_rate=1.,
                             window_size=8, **kwargs)


def one_line(info, *fragments):
    text = str(info.value)
    assert '\n' not in text, text
    for fragment in fragments:
        assert fragment in text, text


@pytest.mark.parametrize('value', [np.nan, np.inf, -np.inf, 1e39])
def test_non_finite_features_name_the_file_and_step(tmp_path, value):
    feature = np.ones((8, 2), np.float64)
    feature[5, 1] = value
    write_set(tmp_path, dict(v=video()), dict(v=feature))
    data = dataset(tmp_path)
    with pytest.raises(ValueError) as info:
        data[0]
    one_line(info, 'v.npy', 'feature step 5', 'must be finite')


def test_complex_and_badly_shaped_features_are_refused(tmp_path):
    write_set(tmp_path, dict(v=video()), dict(v=np.ones((8, 2), np.complex64)))
    with pytest.raises(ValueError) as info:
        dataset(tmp_path)
    one_line(info, 'v.npy', 'real-valued', 'complex64')
    write_set(tmp_path, dict(v=video()), dict(v=np.ones((2, 8), np.float32)))
    with pytest.raises(ValueError) as info:
        dataset(tmp_path, feature_dim=2)
    one_line(info, 'v.npy', 'features are 8-d, feature_dim=2', 'transposed')


def test_duplicate_json_keys_are_refused_where_json_is_read(tmp_path):
    text = ('{"version": "1", "database": {"v": %s, "v": %s}}'
            % (json.dumps(video()), json.dumps(video(label='b'))))
    ann_file = write_set(tmp_path, text)
    for read in (lambda: dataset(tmp_path), lambda: load_tal_ground_truth(ann_file),
                 lambda: convert_activitynet(ann_file), lambda: load_json(ann_file)):
        with pytest.raises(ValueError) as info:
            read()
        one_line(info, 'ann.json', "the key 'v' appears twice")


def test_a_submission_listing_a_video_twice_is_refused(tmp_path):
    gt = load_tal_ground_truth(dict(database=dict(v=video(), w=video())))
    prediction = json.dumps([dict(label='a', score=1., segment=[1, 3])])
    path = tmp_path / 'results.json'
    path.write_text('{"results": {"v": %s, "w": [], "v": []}}' % prediction)
    with pytest.raises(ValueError) as info:
        read_tal_submission(str(path), gt)
    one_line(info, 'results.json', "the key 'v' appears twice")


def test_a_video_listed_twice_in_the_durations(tmp_path):
    path = tmp_path / 'durations.csv'
    path.write_text('video,duration\nv,10\nw,12\nv,11\n')
    with pytest.raises(ValueError) as info:
        read_durations(str(path))
    one_line(info, 'durations.csv, row 4', "video 'v' is listed again (first at row 2)")
    path = tmp_path / 'durations.json'
    path.write_text('{"v": 10, "v": 11}')
    with pytest.raises(ValueError, match="the key 'v' appears twice"):
        read_durations(str(path))


def test_a_label_map_with_a_duplicate_id(tmp_path):
    path = tmp_path / 'labels.pbtxt'
    path.write_text('item {\n  name: "run"\n  id: 1\n}\nitem {\n  name: "jump"\n  id: 1\n}\n')
    with pytest.raises(ValueError) as info:
        read_label_map(str(path))
    one_line(info, 'labels.pbtxt', "id 1 is given twice ('run' and 'jump')")
    from vsgt.apis.inference import read_label_names
    with pytest.raises(ValueError, match='id 1 is given twice'):
        read_label_names(str(path))


def test_an_unknown_subset_is_reported_with_the_subsets_seen(tmp_path, caplog, monkeypatch):
    write_set(tmp_path, dict(v=video(), w=video(subset='Training')))
    logger = logging.getLogger('vsgt-data-checks')
    monkeypatch.setattr(MMLogger, 'get_current_instance', staticmethod(lambda: logger))
    with caplog.at_level(logging.WARNING):
        data = dataset(tmp_path)
    assert len(data) == 1
    warnings = [r.getMessage() for r in caplog.records if 'Training' in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    assert "video 'w' (subset 'Training')" in warnings[0]
    assert "subsets seen: ['Training', 'validation']" in warnings[0]


@pytest.mark.parametrize('entry, fragments', [
    (video(fps='abc'), ["video 'v'", "fps must be a positive number, got 'abc'"]),
    (video(label=['a', 'b']), ["video 'v', annotation 0", 'label must be a string']),
])
def test_bad_fps_and_list_labels(tmp_path, entry, fragments):
    ann_file = write_set(tmp_path, dict(v=entry))
    for read in (lambda: dataset(tmp_path), lambda: load_tal_ground_truth(ann_file)):
        with pytest.raises(ValueError) as info:
            read()
        one_line(info, 'ann.json', *fragments)


def test_a_submission_label_that_is_a_list(tmp_path):
    gt = load_tal_ground_truth(dict(database=dict(v=video())))
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(dict(results=dict(v=[dict(label=['a'], score=1.,
                                                          segment=[1, 3])]))))
    with pytest.raises(ValueError) as info:
        read_tal_submission(str(path), gt)
    one_line(info, "video 'v', prediction 0", "unknown label ['a']")


def test_eval_tal_refuses_ground_truth_the_dataset_refuses(tmp_path, capsys):
    # Ends past the video: the dataset refuses it, so the evaluation does too.
    entry = video()
    entry['annotations'].append(dict(segment=[6, 9], label='a'))
    ann_file = write_set(tmp_path, dict(v=entry))
    with pytest.raises(ValueError):
        dataset(tmp_path)
    results = tmp_path / 'results.json'
    results.write_text(json.dumps(dict(results=dict(v=[dict(label='a', score=1.,
                                                             segment=[1, 3])]))))
    code, _, err = run_in_process(capsys, load_script('tools/analysis/eval_tal.py'), results,
                                  ann_file)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "ann.json: video 'v', annotation 1: segment [6.0, 9.0] is outside" in err


def test_generators_remove_the_staging_folders_of_a_killed_run(tmp_path):
    from vsgt.datasets.synthetic_tal import generate_synthetic_tal
    stale = tmp_path / '.tal.tmp-killed'
    (stale / 'features').mkdir(parents=True)
    other = tmp_path / '.other.tmp-kept'
    other.mkdir()
    generate_synthetic_tal(str(tmp_path / 'tal'), num_videos=2, progress=False)
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.other.tmp-kept', 'tal']
