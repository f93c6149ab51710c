"""tools/analysis/{vis_significance,plot_results,plot_curves}.py and vsgt.visualization: on a
briefly trained VSGT-tiny with PAE, and their bad input."""
import csv
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, SINGLE_PROCESS, run_in_process, run_tool
from vsgt.evaluation.functional import frame_ap, load_ground_truth
from vsgt.utils import read_test_metrics
from vsgt.visualization.results import frame_pr_curves
from vsgt.testing import load_script

PAE_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny-pae_synthetic.py')
CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')
SLOWONLY = osp.join(ROOT, 'configs', 'synthetic', 'slowonly-r18_synthetic.py')
FAST = ['train_cfg.max_iters=4', 'train_cfg.val_interval=2', 'train_dataloader.batch_size=2',
        'default_hooks.checkpoint.interval=4', 'default_hooks.logger.interval=1', *SINGLE_PROCESS]


def load_tool(name):
    return load_script(f'tools/analysis/{name}.py')


vis_significance = load_tool('vis_significance')
plot_results = load_tool('plot_results')
plot_curves = load_tool('plot_curves')


def png_shape(path):
    image = cv2.imread(str(path))
    assert image is not None, f'{path} is not a readable PNG'
    return image.shape


@pytest.fixture(scope='module')
def trained(synthetic_root):
    """VSGT-tiny with PAE trained 4 iterations (validated at 2 and 4) and its test dump."""
    work_dir = synthetic_root / 'work_dirs' / 'vis'
    result = run_tool('train.py', PAE_CONFIG, '--work-dir', work_dir, '--seed', 0,
                      '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    dump = work_dir / 'results.pkl'
    result = run_tool('test.py', PAE_CONFIG, work_dir / 'iter_4.pth', '--work-dir',
                      work_dir / 'test', '--dump', dump, '--cfg-options', *FAST,
                      cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return work_dir


def test_plot_curves_of_a_training(capsys, trained, tmp_path):
    out = tmp_path / 'curves.png'
    code, stdout, stderr = run_in_process(capsys, plot_curves, trained, '--keys', 'loss',
                                          'frame_mAP@0.5', '--out', out)
    assert code == 0, stderr
    assert 'loss (4 points), frame_mAP@0.5 (2 points) from 1 log(s)' in stdout
    height, width, _ = png_shape(out)
    assert width == 400 and height > 300
    palette = tmp_path / 'palette.png'
    code, _, stderr = run_in_process(capsys, plot_curves, trained, '--out', palette, '--colors',
                                     16)
    assert code == 0, stderr
    from PIL import Image
    with Image.open(palette) as image:
        assert image.mode == 'P' and len(image.getcolors()) <= 16


def test_curves_join_runs_and_validation_is_at_its_iteration(trained):
    from vsgt.visualization.curves import find_scalar_logs, read_scalars
    series = read_scalars(find_scalar_logs(str(trained)))
    assert [step for step, _ in series['frame_mAP@0.5']] == [2, 4]
    assert [step for step, _ in series['loss']] == [1, 2, 3, 4]


def test_training_logs_to_tensorboard(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    (events, ) = trained.glob('2*/vis_data/events.out.tfevents.*')
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    assert [event.step for event in accumulator.Scalars('loss')] == [1, 2, 3, 4]
    assert [event.step for event in accumulator.Scalars('frame_mAP@0.5')] == [2, 4]


def test_curves_of_a_resumed_run_continue(tmp_path):
    from vsgt.visualization.curves import find_scalar_logs, read_scalars
    for run, records in (('20260101_000000', [(1, 0.9), (2, 0.8), (3, float('nan'))]),
                         ('20260101_010000', [(3, 0.7), (4, 0.6)])):
        log = tmp_path / run / 'vis_data' / 'scalars.json'
        log.parent.mkdir(parents=True)
        log.write_text(''.join(json.dumps({'loss': value, 'step': step}) + '\n'
                               for step, value in records))
    assert read_scalars(find_scalar_logs(str(tmp_path)))['loss'] == [
        (1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]


def test_plot_results_of_a_test_dump(capsys, trained, synthetic_root, tmp_path):
    annotations = synthetic_root / 'data' / 'synthetic' / 'annotations'
    code, stdout, stderr = run_in_process(
        capsys, plot_results, trained / 'results.pkl', '--gt-file', annotations / 'gt.pkl',
        '--ann-file', annotations / 'val.csv', '--out-dir', tmp_path / 'plots')
    assert code == 0, stderr
    for name in ('class_ap.png', 'pr_curves.png'):
        assert png_shape(tmp_path / 'plots' / name)[1] == 400
    # the same frame-mAP as tools/test.py's FrameMAP
    logged = read_test_metrics(trained / 'test')['frame_mAP@0.5']
    printed = float(stdout.split('frame-mAP@0.5 = ')[1].split('%')[0])
    assert printed == pytest.approx(100 * logged, abs=0.006)


def random_scene(rng, num_videos=3, num_frames=6, num_labels=3):
    """An ACT ground truth and random frame detections (with tied scores) against it."""
    gttubes, resolution = {}, {}
    for v in range(num_videos):
        tubes = {}
        for label in rng.choice(num_labels, 2, replace=False):
            frames = np.arange(1, num_frames + 1)
            x, y = rng.uniform(0, 60, 2)
            boxes = np.column_stack([frames, np.full(num_frames, x), np.full(num_frames, y),
                                     np.full(num_frames, x + 30), np.full(num_frames, y + 30)])
            tubes[int(label)] = [boxes.astype(np.float32)]
        gttubes[f'v{v}'], resolution[f'v{v}'] = tubes, (100, 100)
    gt = load_ground_truth(dict(
        labels=[f'c{i}' for i in range(num_labels)], gttubes=gttubes, resolution=resolution,
        nframes={v: num_frames for v in gttubes}, test_videos=[sorted(gttubes)],
        train_videos=[[]]))
    dets = []
    for v, tubes in enumerate(gttubes.values()):
        for label, (tube, ) in tubes.items():
            for frame, *box in tube[rng.random(num_frames) < 0.7]:
                box = np.array(box) + rng.normal(0, 6, 4)
                dets.append([v, frame, label, rng.choice([0.3, 0.5, rng.random()]), *box])
        for _ in range(4):
            x, y = rng.uniform(0, 70, 2)
            dets.append([v, rng.integers(1, num_frames + 1), rng.integers(num_labels),
                         rng.choice([0.3, rng.random()]), x, y, x + 30, y + 30])
    return gt, np.array(dets, np.float64)


@pytest.mark.parametrize('seed', range(5))
def test_pr_curves_give_the_ap_of_frame_ap(seed):
    rng = np.random.default_rng(seed)
    gt, dets = random_scene(rng)
    key_frames = np.array([(v, f) for v in range(3) for f in (2, 5)])
    for iou_thr in (0.3, 0.5):
        for keys in (None, key_frames):
            curves = frame_pr_curves(gt, dets, iou_thr, keys)
            expected = frame_ap(gt, dets, (iou_thr, ), keys)
            np.testing.assert_allclose(curves.ap, expected.ap[0], rtol=1e-12, equal_nan=True)
            assert list(curves.num_gt) == list(expected.num_gt)
            for recall, precision in curves.curves:
                assert np.all(np.diff(recall) >= 0) and np.all((0 <= precision) &
                                                               (precision <= 1))


def boxes_file(synthetic_root, tmp_path, video, frame):
    """The ground-truth boxes of ``video``'s 1-based ``frame`` as a boxes JSON (0-based)."""
    annotations = synthetic_root / 'data' / 'synthetic' / 'annotations' / 'val.csv'
    with open(annotations) as file:
        rows = [row for row in csv.reader(file) if row[0] == video and int(row[1]) == frame]
    boxes = [[float(v) * size for v, size in zip(row[2:6], (128, 96, 128, 96))] for row in rows]
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps({str(frame - 1): boxes}))
    return path, len(boxes)


def test_vis_significance_with_pae(capsys, trained, synthetic_root, tmp_path):
    rows = (synthetic_root / 'data/synthetic/annotations/val.csv').read_text().splitlines()
    video, frame = rows[0].split(',')[:2]
    boxes, count = boxes_file(synthetic_root, tmp_path, video, int(frame))
    out = tmp_path / 'significance.png'
    code, stdout, stderr = run_in_process(
        capsys, vis_significance, PAE_CONFIG, synthetic_root / 'data/synthetic/rawframes' / video,
        '--checkpoint', trained / 'iter_4.pth', '--frame', int(frame) - 1, '--boxes', boxes,
        '--blocks', '0.0', '1.0', '--num-frames', 3, '--out', out)
    assert code == 0, stderr
    assert f'blocks 0.0, 1.0, key frame {int(frame) - 1}, {count} person box(es)' in stdout
    height, width, _ = png_shape(out)
    assert width == round((3 * 2.2 + 0.9) * 80) and height > 4 * 100  # 3 slices, bar; 4 rows


def test_significance_hooks_and_guidance(synthetic_root):
    from vsgt.apis import build_model, load_model_config
    from vsgt.models.backbones.pae import person_box_masks
    from vsgt.visualization.significance import capture_significance, first_hybrid_blocks
    torch.manual_seed(0)
    # The shipped config builds stages 1-2 only (its RoI head reads stage 2); build stage 3 too,
    # to check the hooks on a deeper stage.
    cfg = load_model_config(PAE_CONFIG, {'model.backbone.out_indices': (2, )})
    backbone = build_model(cfg).backbone
    assert first_hybrid_blocks(backbone) == ['0.0', '1.0', '2.0']
    clip = torch.randn(1, 3, 8, 64, 96)
    boxes = [torch.tensor([[8.0, 4.0, 40.0, 60.0]])]
    plain = capture_significance(backbone, clip, None, ['0.0', '2.0'])
    guided = capture_significance(backbone, clip, boxes, ['0.0', '2.0'])
    assert plain['0.0'].shape == (1, 4, 16, 24) and plain['2.0'].shape == (1, 4, 4, 6)
    # block 0.0 runs before PAE changes anything: its map is raised by alpha * M * mean(S)
    # (cells centred on the tokens: pixel 4i + 0.5, the first cell's edge at -1.5)
    mask = person_box_masks(boxes, 1, (4, 16, 24), 4, offset=-1.5)
    torch.testing.assert_close(mask, backbone.pae.person_masks(boxes, 1, (4, 16, 24), 0))
    alpha = backbone.pae.alpha[0].abs()
    expected = plain['0.0'] + alpha * mask * plain['0.0'].mean()
    torch.testing.assert_close(guided['0.0'], expected)
    assert not backbone.stages[0].blocks[0].attn._forward_hooks  # hooks removed


def test_vis_significance_without_pae_shows_one_row_per_block(capsys, synthetic_root,
                                                              tmp_path):
    video = sorted((synthetic_root / 'data/synthetic/rawframes').iterdir())[0]
    out = tmp_path / 'plain.png'
    code, stdout, _ = run_in_process(capsys, vis_significance, CONFIG, video, '--out', out,
                                     '--num-frames', 2, '--person-thr', 0)
    assert code == 0 and '(not used: no PAE)' in stdout
    assert png_shape(out)[1] == round((2 * 2.2 + 0.9) * 80)  # 2 slices and a colour bar


@pytest.mark.parametrize('tool, argv, message', [
    (vis_significance, [SLOWONLY, '{video}', '--out', '{tmp}/x.png'],
     'ResNet3dSlowOnly has no hybrid-scale blocks'),
    (vis_significance, [CONFIG, '{video}', '--out', '{tmp}/x.png', '--blocks', '0.1'],
     'no hybrid-scale block 0.1 (stage.block); this backbone has 0.0, 1.0'),
    (vis_significance, [CONFIG, '{video}', '--out', '{tmp}/x.png', '--frame', '99'],
     '--frame 99 is outside 0..23'),
    (vis_significance, [CONFIG, '{video}', '--out', '{tmp}/x.jpg'], 'must be a .png file'),
    (plot_curves, ['{tmp}', '--out', '{tmp}/x.png'], 'no vis_data/scalars.json'),
    (plot_curves, ['{log}', '--out', '{tmp}/x.png', '--colors', '300'],
     '--colors must be in 2..256, got 300'),
    (plot_curves, ['{log}', '--keys', 'loss', 'acc', '--out', '{tmp}/x.png'],
     "no scalar 'acc' in the logs; they have: loss"),
    (plot_results, ['{tmp}/missing.pkl', '--gt-file', 'gt.pkl', '--out-dir', '{tmp}'],
     'missing.pkl not found'),
    (plot_results, ['{log}', '--gt-file', '{gt}', '--out-dir', '{tmp}'], 'not a readable pickle'),
])
def test_bad_input_is_one_line_and_writes_nothing(capsys, synthetic_root, tmp_path, tool, argv,
                                                  message):
    log = tmp_path / 'scalars.json'
    log.write_text(json.dumps({'loss': 1.0, 'step': 1}) + '\n')
    values = dict(video=sorted((synthetic_root / 'data/synthetic/rawframes').iterdir())[0],
                  tmp=tmp_path, log=log, gt=synthetic_root / 'data/synthetic/annotations/gt.pkl')
    code, _, stderr = run_in_process(capsys, tool, *[arg.format(**values) for arg in argv])
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert not list(tmp_path.glob('*.png')) and not list(tmp_path.glob('.*.tmp'))
