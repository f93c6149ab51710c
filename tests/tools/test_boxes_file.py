"""tools/data/boxes_file.py: a video's ground-truth boxes or proposals as the demo's boxes file;
the example-pictures commands make the boxes file they use."""
import json
import os.path as osp
import shlex

import numpy as np
import pytest

from conftest import ROOT
from vsgt.apis.persons import read_boxes_file
from vsgt.testing import load_script, run_in_process
from vsgt.utils.safe_pickle import safe_load

boxes_file = load_script('tools/data/boxes_file.py')
WIDTH, HEIGHT = 128, 96  # the synthetic set's frames


def rows_of(path, video):
    return [row.split(',') for row in path.read_text().splitlines() if row.startswith(video + ',')]


def test_ground_truth_boxes_in_pixels_by_0_based_frame(capsys, synthetic_root, tmp_path):
    annotations = synthetic_root / 'data' / 'synthetic' / 'annotations'
    video = (annotations / 'val.csv').read_text().split(',')[0]
    out = tmp_path / 'boxes.json'
    code, stdout, err = run_in_process(
        capsys, boxes_file, annotations / 'val.csv', video, '--frames-dir',
        synthetic_root / 'data' / 'synthetic' / 'rawframes', '--out', out)
    assert code == 0, err
    content = json.loads(out.read_text())
    expected = {}
    for fields in rows_of(annotations / 'val.csv', video):
        box = [float(v) * s for v, s in zip(fields[2:6], (WIDTH, HEIGHT, WIDTH, HEIGHT))]
        expected.setdefault(str(int(fields[1]) - 1), {})[fields[7]] = box
    assert set(content) == set(expected)
    for frame, people in expected.items():
        np.testing.assert_allclose(sorted(content[frame]), sorted(people.values()), atol=0.01)
    boxes = read_boxes_file(str(out))  # what the demo and vis_significance.py read
    assert sum(map(len, boxes.values())) == sum(map(len, expected.values()))
    assert f'{out}: ' in stdout and video in stdout


def test_proposal_boxes_keep_their_scores(capsys, synthetic_root, tmp_path):
    annotations = synthetic_root / 'data' / 'synthetic' / 'annotations'
    proposals = safe_load(str(annotations / 'proposals_val.pkl'))
    key = sorted(proposals)[0]
    video, _, frame = key.rpartition(',')
    out = tmp_path / 'boxes.json'
    code, _, err = run_in_process(
        capsys, boxes_file, annotations / 'proposals_val.pkl', video, '--frames-dir',
        synthetic_root / 'data' / 'synthetic' / 'rawframes', '--out', out)
    assert code == 0, err
    written = np.array(json.loads(out.read_text())[str(int(frame) - 1)])
    expected = proposals[key] * ([WIDTH, HEIGHT, WIDTH, HEIGHT, 1][:proposals[key].shape[1]])
    np.testing.assert_allclose(written, expected, atol=0.01)


@pytest.mark.parametrize('video, message', [
    ('video_9999', 'val.csv: no row of video video_9999'),
])
def test_unknown_video_is_one_line(capsys, synthetic_root, tmp_path, video, message):
    annotations = synthetic_root / 'data' / 'synthetic' / 'annotations'
    code, _, err = run_in_process(
        capsys, boxes_file, annotations / 'val.csv', video, '--frames-dir',
        synthetic_root / 'data' / 'synthetic' / 'rawframes', '--out', tmp_path / 'b.json')
    assert code == 1 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / 'b.json').exists()


def test_the_example_pictures_make_the_boxes_file_they_use():
    text = open(osp.join(ROOT, 'docs', 'images', 'README.md')).read().replace('\\\n', ' ')
    lines = {line.split()[1]: shlex.split(line) for line in text.splitlines()
             if line.startswith('python ')}
    made = boxes_file.parse_args(lines['tools/data/boxes_file.py'][2:])
    used = lines['tools/analysis/vis_significance.py']
    assert used[used.index('--boxes') + 1] == made.out
    assert used[3] == f'data/synthetic/rawframes/{made.video}'  # the video of the boxes
    assert made.boxes == 'data/synthetic/annotations/val.csv'
    assert made.frames_dir == 'data/synthetic/rawframes'
