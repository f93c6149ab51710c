"""tools/analysis/benchmark_detectors.py: its statistics on hand-computed cases, its table and
its diagnostics of the guided blocks (no training: the full benchmark runs for hours)."""
import math
import os

import pytest
import torch
from scipy import stats

from vsgt.testing import ROOT, load_script

torch.set_num_threads(1)

benchmark = load_script('tools/analysis/benchmark_detectors.py')


def test_defaults_are_1200_iterations_and_five_seeds():
    args = benchmark.parse_args([])
    assert args.iters == 1200 and args.seeds == [0, 1, 2, 3, 4]
    assert args.variants == benchmark.DEFAULT_VARIANTS and len(args.variants) == 7
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--variants', 'vsgt-tiny', 'vsgt-tiny-16f-pae'])
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--seeds', '0', '0'])


def test_paired_difference_by_hand():
    # differences 1, 1, 2, 1: mean 1.25, sd 0.5, t = 1.25 / (0.5 / 2) = 5 on 3 degrees of freedom
    mean, std, p = benchmark.paired_difference([1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 1.0, 3.0])
    assert mean == pytest.approx(1.25) and std == pytest.approx(0.5)
    # Student's t with 3 degrees of freedom: F(t) = 1/2 + (t / (sqrt3 (1 + t^2/3)) + atan(t /
    # sqrt3)) / pi
    t = 5.0
    cdf = 0.5 + (t / (math.sqrt(3) * (1 + t * t / 3)) + math.atan(t / math.sqrt(3))) / math.pi
    assert p == pytest.approx(2 * (1 - cdf), rel=1e-9)
    # a constant difference has no spread to test against; one pair has no test
    assert benchmark.paired_difference([1.0, 2.0], [0.0, 1.0])[2] is None
    assert benchmark.paired_difference([1.0], [0.5]) == (0.5, 0.0, None)
    with pytest.raises(ValueError, match='same seeds'):
        benchmark.paired_difference([1.0, 2.0], [1.0])


def test_welch_difference_by_hand():
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0, 8.0]
    # means 2 and 5, variances 1 and 20/3: t = -3 / sqrt(1/3 + 5/3) = -3 / sqrt 2
    va, vb = 1 / 3, (20 / 3) / 4
    t = -3 / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)  # Welch-Satterthwaite
    difference, p = benchmark.welch_difference(a, b)
    assert difference == pytest.approx(-3.0)
    assert p == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)
    # not the pooled-variance test
    assert p != pytest.approx(stats.ttest_ind(a, b).pvalue, rel=1e-3)
    assert benchmark.welch_difference([1.0, 1.0], [2.0, 2.0]) == (-1.0, None)


def test_table_pairs_the_pae_and_window_rows_and_welch_tests_the_others():
    seeds = [0, 1, 2]
    rows = {name: dict(gflops=0.2, params=0.2, train_cpu_s=[60.0] * 3,
                       **{key: [0.5 + 0.01 * i + 0.1 * seed for seed in seeds]
                          for key in benchmark.METRICS},
                       entropy=[0.99, 0.98, None], persons=[None] * 3)
            for i, name in enumerate(['vsgt-tiny', 'vsgt-tiny-pae', 'window-tiny', 'swin-micro'])}
    text = benchmark.table(rows, seeds)
    lines = {line.split('|')[1].strip(): line for line in text.splitlines()
             if line.startswith('| ')}
    assert lines['vsgt-tiny'].count('—') == 3  # no difference to itself, no persons
    # the same offset on every seed: the paired difference is exact, its spread 0
    assert '+0.010 ± 0.000 (paired vs vsgt-tiny, p n/a)' in lines['vsgt-tiny-pae']
    assert '+0.020 ± 0.000 (paired vs vsgt-tiny' in lines['window-tiny']
    assert '+0.030 (Welch, p=0.' in lines['swin-micro']
    assert '0.985 ± 0.007' in lines['vsgt-tiny']


@pytest.fixture(scope='module')
def val_samples(synthetic_root):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmaction.registry import DATASETS
    init_default_scope('mmaction')
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/synthetic/vsgt-tiny_synthetic.py'))
    here = os.getcwd()
    os.chdir(synthetic_root)
    try:
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
        return [dataset[0], dataset[len(dataset) // 2]]
    finally:
        os.chdir(here)


def build(**backbone):
    from mmengine.config import Config

    from mmaction.registry import MODELS
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/synthetic/vsgt-tiny_synthetic.py'))
    cfg.model.backbone.update(backbone)
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def test_diagnostics_of_the_guided_blocks(val_samples):
    with torch.no_grad():
        plain = benchmark.guided_block_statistics(build(), val_samples)
        ranked = benchmark.guided_block_statistics(
            build(with_pae=True, pae_guidance_mode='rank'), val_samples)
        window = benchmark.guided_block_statistics(build(attention='window'), val_samples)
    assert 0.9 < plain['entropy'] <= 1 + 1e-6  # near uniform at initialisation
    assert 0 <= plain['persons'] < 1
    # rank guidance puts every person token in the finest group (persons are a few % of the grid)
    assert ranked['persons'] == 1.0
    assert window == dict(entropy=None, persons=None)
    # the recording is undone: the blocks compute as before
    model = build()
    blocks = [m for m in model.backbone.modules() if hasattr(m, 'token_groups')]
    benchmark.guided_block_statistics(model, val_samples[:1])
    assert all('_sdpa' not in vars(block) and not block._forward_pre_hooks for block in blocks)
