"""AVA CSVs as ground truth of the project's frame-mAP: the converter and its tool."""
import numpy as np
import pytest

from vsgt_projects.fbil.fbil import ava_ground_truth
from vsgt.evaluation.functional import frame_ap, load_ground_truth
from vsgt.testing import load_script, run_in_process

LABEL_MAP = ''.join(f'item {{\n  name: "{name}"\n  id: {i}\n}}\n'
                    for name, i in (('bend', 1), ('crawl', 2), ('stand', 12), ('talk', 79)))
ROWS = ['v1,0902,0.1,0.2,0.3,0.6,1,0', 'v1,0902,0.1,0.2,0.3,0.6,79,0',
        'v1,0903,0.12,0.2,0.32,0.6,1,0', 'v1,0903,0.5,0.1,0.9,0.9,12,1',
        'v1,0903,0.5,0.1,0.9,0.9,2,1', 'v2,1000,0.0,0.0,1.0,1.0,79,3']


@pytest.fixture
def files(tmp_path):
    (tmp_path / 'labels.pbtxt').write_text(LABEL_MAP)
    (tmp_path / 'val.csv').write_text('\n'.join(ROWS) + '\n')
    return tmp_path / 'val.csv', tmp_path / 'labels.pbtxt'


def test_tubes_per_person_and_class(files):
    gt = ava_ground_truth(*map(str, files), custom_classes=[1, 12, 79])
    assert gt['labels'] == ['bend', 'stand', 'talk']  # crawl (2) is not evaluated: skipped
    assert gt['nframes'] == {'v1': 903, 'v2': 1000} and gt['test_videos'] == [['v1', 'v2']]
    bend, = gt['gttubes']['v1'][0]
    np.testing.assert_allclose(bend, [[902, 0.1, 0.2, 0.3, 0.6], [903, 0.12, 0.2, 0.32, 0.6]])
    assert sorted(gt['gttubes']['v1']) == [0, 1, 2] and list(gt['gttubes']['v2']) == [2]
    with pytest.raises(ValueError, match=r'custom_classes \[7\] are not in'):
        ava_ground_truth(*map(str, files), custom_classes=[1, 7])


def test_frame_map_of_the_ground_truth_boxes(files):
    gt = load_ground_truth(ava_ground_truth(*map(str, files), custom_classes=[1, 12, 79]))
    # rows video_index, frame, label_index, score, box (resolution 1: normalised)
    exact = np.array([[0, 902, 0, 0.9, 0.1, 0.2, 0.3, 0.6], [0, 903, 0, 0.8, 0.12, 0.2, 0.32, 0.6],
                      [0, 903, 1, 0.7, 0.5, 0.1, 0.9, 0.9], [0, 902, 2, 0.9, 0.1, 0.2, 0.3, 0.6],
                      [1, 1000, 2, 0.6, 0.0, 0.0, 1.0, 1.0]])
    assert frame_ap(gt, exact).mean_ap[0] == 1.0
    wrong = exact.copy()
    wrong[2, 2] = 0  # the standing person called bending: a false positive ranked last
    result = frame_ap(gt, wrong)
    assert result.ap[0, 1] == 0.0 and result.ap[0, 0] == pytest.approx(1.0)


def test_tool_writes_a_loadable_pickle(files, tmp_path, capsys):
    tool = load_script('projects/fbil/tools/ava_gt.py')
    out = tmp_path / 'gt.pkl'
    code, stdout, _ = run_in_process(capsys, tool, *files, out, '--all-classes')
    assert code == 0 and 'wrote 2 videos, 4 classes, 6 boxes' in stdout
    assert load_ground_truth(str(out)).labels == ('bend', 'crawl', 'stand', 'talk')
