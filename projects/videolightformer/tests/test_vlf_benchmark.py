"""The synthetic benchmark's helpers: data paths moved, ratios to TSN, configs it trains."""

from vsgt.datasets.synthetic import SYNTHETIC_PRESETS
from vsgt.testing import load_script


def _benchmark():
    return load_script('projects/videolightformer/tools/benchmark.py')


def test_configs_point_at_the_generated_data_and_share_the_schedule(tmp_path):
    benchmark = _benchmark()
    configs = [benchmark.build_config(name, str(tmp_path / 'rec'), str(tmp_path / 'w'), 40, 2, 3)
               for _, name in benchmark.MODELS]
    for cfg in configs:
        assert cfg.train_dataloader.dataset.ann_file == f'{tmp_path}/rec/annotations/' \
            'rawframes_train.txt'
        pairs = cfg.reversal_pairs.datasets
        assert [d.ann_file for d in pairs] == [f'{tmp_path}/rec/annotations/'
                                               'rawframes_val_walk.txt'] * 2
        assert [s.type for s in pairs[1].pipeline][:2] == ['SampleFrames', 'ReverseFrames']
        assert cfg.train_cfg.max_iters == 40 and cfg.train_dataloader.batch_size == 2
        assert [(s.begin, s.end) for s in cfg.param_scheduler] == [(0, 4), (4, 40)]
        assert cfg.randomness.seed == 3
        assert cfg.log_level == 'WARNING'  # one printed line per run, not mmengine's log
        # The recognition preset's frames are read at the size the FLOPs are counted at.
        assert tuple(cfg.frame_size) == SYNTHETIC_PRESETS['recognition']['frame_size']
        assert not any('Resize' in s.type or 'Crop' in s.type
                       for s in cfg.train_dataloader.dataset.pipeline)
    heads = [cfg.model.cls_head for cfg in configs]
    assert [h.type for h in heads] == ['VLFHead', 'TSNHead', 'TSMHead', 'VLFHead', 'VLFHead']
    assert heads[0].temporal_pe == 'learned' and heads[3].temporal_pe is None
    assert [heads[i].pool for i in (0, 3, 4)] == ['frames', 'frames', 'mean']
    assert len({str(cfg.train_dataloader) for cfg in configs}) == 1


def test_table_gives_ratios_to_tsn_and_ranges_over_seeds():
    runs = [dict(model=m, seed=seed, top1=top1, reversal_pair_acc=0.25, gflops=g, params_m=p,
                 clips_per_s=c, train_s=10, confusion=[[seed, 1], [0, 1]])
            for seed, top1 in ((0, 0.4), (1, 0.6))
            for m, g, p, c in (('VLF', 1.1, 3.0, 5.0), ('TSN', 1.0, 2.0, 10.0))]
    benchmark = _benchmark()
    rows = benchmark.summarise(runs)
    assert [r['model'] for r in rows] == ['VLF', 'TSN'] and rows[0]['seeds'] == [0, 1]
    assert rows[0]['confusion'] == [[1, 2], [0, 2]]
    lines = benchmark.table(rows).splitlines()
    assert lines[2] == ('| VLF | 0.500 (0.400-0.600) | 0.250 | 1.100 (1.100) | 3.00 (1.500) | '
                        '5.0 (0.50) | 10 |')
    assert '(1.000)' in lines[3] and '(1.00)' in lines[3]
