"""tools/analysis/benchmark_metrics.py on a tiny split."""
from vsgt.testing import load_script

benchmark = load_script('tools/analysis/benchmark_metrics.py')


def test_split_is_deterministic_with_the_asked_detections_per_frame():
    gt, dets = benchmark.make_split(6, 10, 24, seed=3)
    again_gt, again = benchmark.make_split(6, 10, 24, seed=3)
    assert (dets == again).all() and gt['nframes'] == again_gt['nframes']
    frames = sum(gt['nframes'].values())
    assert len(dets) == 10 * frames
    assert set(dets[:, 2].astype(int)) <= set(range(24))


def test_tiny_run_prints_the_timings(capsys):
    timings = benchmark.main(['--num-videos', '6'])
    out = capsys.readouterr().out
    assert 'split: 6 videos' in out and 'frame-mAP@0.5 = ' in out
    assert set(timings) == {'frame-mAP@0.5', 'linking', 'video-mAP (0.2, 0.5, 0.75, 0.5:0.95)',
                            'video-mAP total (linking + AP)'}
