"""Tests of the THUMOS14 and ActivityNet annotation converters and their CLIs."""
import json

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from vsgt.datasets import TALFeatureDataset
from vsgt.datasets.tal_converters import (annotation_report, convert_activitynet,
                                          convert_thumos14, feature_durations, missing_features,
                                          read_durations, thumos14_videos)
from vsgt.testing import load_script, run_in_process

VAL, TEST = 'video_validation_0000051', 'video_test_0000004'


def _cli(name):
    return load_script(f'tools/data/{name}/convert_annotations.py')


@pytest.fixture
def thumos(tmp_path):
    """Val and test annotation folders, and a duration CSV, as THUMOS14 ships them."""
    (tmp_path / 'val').mkdir()
    (tmp_path / 'test').mkdir()
    (tmp_path / 'val' / 'BaseballPitch_val.txt').write_text(
        f'{VAL}  67.5 75.9\n{VAL} 10.0 12.0\n\n')
    (tmp_path / 'val' / 'Diving_val.txt').write_text('video_validation_0000052 1.0 3.5\n')
    (tmp_path / 'val' / 'Ambiguous_val.txt').write_text(f'{VAL} 20 21\n')
    (tmp_path / 'val' / 'notes.txt').write_text('not an annotation file\n')
    (tmp_path / 'test' / 'Diving_test.txt').write_text(
        f'{TEST} -0.2 1.1\nvideo_test_0000270 5 6\n')
    (tmp_path / 'durations.csv').write_text(
        f'video,duration\n{VAL},76.0\nvideo_validation_0000052,3.2\n{TEST},30\n'
        'video_test_0000270,10\n')
    return tmp_path


def test_thumos14_conversion(thumos):
    durations = read_durations(str(thumos / 'durations.csv'))
    assert durations[TEST] == 30.
    database, info = convert_thumos14([str(thumos / 'val'), str(thumos / 'test')], durations,
                                      exclude=['video_test_0000270'])
    assert database == {
        TEST: dict(subset='testing', duration=30.,
                   annotations=[dict(segment=[0., 1.1], label='Diving')]),
        'video_validation_0000051': dict(subset='training', duration=76., annotations=[
            dict(segment=[10., 12.], label='BaseballPitch'),
            dict(segment=[67.5, 75.9], label='BaseballPitch')]),
        'video_validation_0000052': dict(subset='training', duration=3.2, annotations=[
            dict(segment=[1., 3.2], label='Diving')])}
    assert info == dict(skipped_ambiguous=1, clipped=2, skipped=[],
                        excluded=['video_test_0000270'], duplicates=0)
    report = annotation_report(database, missing=[TEST])
    assert report[0] == '3 videos, 4 instances, 2 classes'
    assert report[1].startswith('  testing: 1 videos') and '1 instances' in report[1]
    assert 'lengths 1.10/1.10/1.10/1.10 s' in report[1]
    assert report[2].startswith('  training: 2 videos') and '3 instances' in report[2]
    assert report[3] == '  classes: BaseballPitch 2, Diving 2'
    assert report[4] == f'  videos without a feature file: 1 ({TEST})'
    assert thumos14_videos([str(thumos / 'test')]) == [TEST, 'video_test_0000270']


def test_thumos14_bad_rows(thumos):
    durations = read_durations(str(thumos / 'durations.csv'))
    ann_dirs = [str(thumos / 'val')]
    bad = thumos / 'val' / 'Billiards_val.txt'
    for text, message in [
            (f'{VAL} 12.0\n', r'Billiards_val.txt, row 1: expected "video start end" '
             r"\(seconds\), got 'video_validation_0000051 12.0'"),
            (f'{VAL} 1 2\n{VAL} 70 80\n', r'Billiards_val.txt, row 2: segment \[70.0, 80.0\] is '
             r'outside the video \[0, 76.0\] by more than 1.0 s'),
            (f'{VAL} 5 5\n', r'row 1: segment \[5.0, 5.0\] is empty'),
            ('video_validation_0000999 1 2\n', "row 1: no duration for video "
             "'video_validation_0000999'"),
            (f'{TEST} 1 2\n', r"video 'video_test_0000004' is annotated in both")]:
        bad.write_text(text)
        extra = [str(thumos / 'test')] if TEST in text else []
        with pytest.raises(ValueError, match=message) as error:
            convert_thumos14(ann_dirs + extra, durations)
        assert '\n' not in str(error.value)
    bad.write_text(f'{VAL} 12.0\n{VAL} 70 80\n{VAL} 1 2\n')
    database, info = convert_thumos14(ann_dirs, durations, skip_bad=True)
    assert [a['label'] for a in database[VAL]['annotations']] == [
        'Billiards', 'BaseballPitch', 'BaseballPitch']  # sorted by segment
    assert len(info['skipped']) == 2 and 'row 1' in info['skipped'][0]
    with pytest.raises(FileNotFoundError, match='no <Class>_val.txt'):
        convert_thumos14([str(thumos)], durations)


def test_durations_from_files_and_features(tmp_path):
    (tmp_path / 'd.json').write_text(json.dumps({'a': 2.5}))
    assert read_durations(str(tmp_path / 'd.json')) == {'a': 2.5}
    (tmp_path / 'db.json').write_text(json.dumps(dict(database=dict(b=dict(duration=4)))))
    assert read_durations(str(tmp_path / 'db.json')) == {'b': 4.}
    (tmp_path / 'd.csv').write_text('a,3\nb,x\n')
    with pytest.raises(ValueError, match=r"d.csv, row 2: expected \"video,duration\" with a "
                       r"duration > 0, got \['b', 'x'\]"):
        read_durations(str(tmp_path / 'd.csv'))
    np.save(tmp_path / 'v.npy', np.zeros((71, 3), np.float32))
    durations = feature_durations(['v', 'w'], str(tmp_path), feature_rate=7.5,
                                  feature_offset=2.)
    assert durations == {'v': 75 / 7.5}


def test_thumos14_cli_writes_a_json_the_dataset_reads(thumos, capsys):
    features = thumos / 'features'
    features.mkdir()
    for video, steps in ((VAL, 570), ('video_validation_0000052', 24)):
        np.save(features / f'{video}.npy', np.zeros((steps, 4), np.float32))
    out = thumos / 'out' / 'thumos14.json'
    code, stdout, err = run_in_process(
        capsys, _cli('thumos14'), thumos / 'val', thumos / 'test', '--out', out,
        '--durations', thumos / 'durations.csv', '--feature-dir', features,
        '--exclude', 'video_test_0000270')
    assert code == 0, err
    assert 'videos without a feature file: 1 (video_test_0000004)' in stdout
    assert '1 Ambiguous rows' in stdout and 'excluded videos: video_test_0000270' in stdout
    content = json.loads(out.read_text())
    assert content['version'] == 'THUMOS14' and len(content['database']) == 3
    init_default_scope('mmaction')
    dataset = TALFeatureDataset(str(out), [], data_prefix=dict(feature=str(features)),
                                subset='training', feature_rate=7.5, window_size=256)
    assert dataset.metainfo['classes'] == ('BaseballPitch', 'Diving')
    assert sum(len(dataset.get_data_info(i)['gt_labels']) for i in range(len(dataset))) >= 3

    code, _, err = run_in_process(capsys, _cli('thumos14'), thumos / 'val', '--out', out)
    assert code == 2 and 'give --durations, or --feature-dir with --feature-rate' in err
    code, _, err = run_in_process(capsys, _cli('thumos14'), thumos / 'val', thumos / 'test',
                                  '--out', thumos / 'other.json', '--feature-dir', features,
                                  '--feature-rate', '7.5')
    assert code == 1 and err.count('\n') == 1
    assert "no duration for video 'video_test_0000004'" in err
    assert not (thumos / 'other.json').exists()


def _official(tmp_path):
    taxonomy = [dict(nodeName='Root', nodeId=0, parentName=None, parentId=None),
                dict(nodeName='Drinking coffee', nodeId=1, parentName='Root', parentId=0)]
    database = dict(
        abc=dict(subset='training', duration=20.0, url='https://x', resolution='640x360',
                 annotations=[dict(segment=[1.5, 5.25], label='Drinking coffee')]),
        defg=dict(subset='validation', duration=10.0,
                  annotations=[dict(segment=[2, 10.4], label='Drinking coffee')]),
        hij=dict(subset='testing', duration=12.5, annotations=[]))
    path = tmp_path / 'activity_net.v1-3.min.json'
    path.write_text(json.dumps(dict(version='VERSION 1.3', taxonomy=taxonomy,
                                    database=database)))
    return path, taxonomy, database


def test_activitynet_conversion(tmp_path):
    path, taxonomy, _ = _official(tmp_path)
    database, info = convert_activitynet(str(path))
    assert database == dict(
        abc=dict(subset='training', duration=20.,
                 annotations=[dict(segment=[1.5, 5.25], label='Drinking coffee')]),
        defg=dict(subset='validation', duration=10.,
                  annotations=[dict(segment=[2., 10.], label='Drinking coffee')]),
        hij=dict(subset='testing', duration=12.5, annotations=[]))
    assert info == dict(version='VERSION 1.3', taxonomy=taxonomy, clipped=1, skipped=[])
    subset, _ = convert_activitynet(str(path), subsets=['validation'])
    assert list(subset) == ['defg']
    (tmp_path / 'feat').mkdir()
    (tmp_path / 'feat' / 'v_abc.csv').write_text('f0,f1\n1,2\n')
    assert missing_features(database, str(tmp_path / 'feat'), 'v_{video}', '.csv') == [
        'defg', 'hij']


@pytest.mark.parametrize('change, error, message', [
    (lambda d: d['abc']['annotations'].append(dict(segment=[1, 2], label='Dancing')), ValueError,
     r"video 'abc', annotation 1: label 'Dancing' is not in the taxonomy"),
    (lambda d: d['abc']['annotations'].append(dict(segment=[1], label='Drinking coffee')),
     ValueError, r"video 'abc', annotation 1: expected \{\"segment\""),
    (lambda d: d['abc']['annotations'].append(dict(segment=[18, 25], label='Drinking coffee')),
     ValueError, r"video 'abc', annotation 1: segment \[18.0, 25.0\] is outside"),
    (lambda d: d['abc'].pop('duration'), KeyError, "video 'abc': missing key 'duration'"),
    (lambda d: d['abc'].update(duration=0), ValueError, 'duration must be a positive number'),
])
def test_activitynet_bad_input(tmp_path, change, error, message):
    path, taxonomy, database = _official(tmp_path)
    change(database)
    path.write_text(json.dumps(dict(version='1.3', taxonomy=taxonomy, database=database)))
    with pytest.raises(error, match=message):
        convert_activitynet(str(path))


def test_activitynet_cli(tmp_path, capsys):
    path, _, _ = _official(tmp_path)
    (tmp_path / 'feat').mkdir()
    (tmp_path / 'feat' / 'v_abc.csv').write_text('f0,f1\n1,2\n')
    out = tmp_path / 'anet.json'
    code, stdout, err = run_in_process(capsys, _cli('activitynet'), path, '--out', out,
                                       '--feature-dir', tmp_path / 'feat', '--drop-missing')
    assert code == 0, err
    assert 'videos without a feature file: 2 (defg, hij)' in stdout
    assert '2 videos without features dropped' in stdout
    content = json.loads(out.read_text())
    assert list(content['database']) == ['abc'] and content['version'] == 'VERSION 1.3'
    assert content['taxonomy'][1]['nodeName'] == 'Drinking coffee'
    path.write_text('{"database": [')
    code, _, err = run_in_process(capsys, _cli('activitynet'), path, '--out',
                                  tmp_path / 'bad.json')
    assert code == 1 and err.count('\n') == 1 and 'not valid JSON' in err
    assert not (tmp_path / 'bad.json').exists()
