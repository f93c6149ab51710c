"""tools/analysis/benchmark_backbones.py: one tiny run of the table."""
import torch

from vsgt.testing import load_script

torch.set_num_threads(1)

benchmark = load_script('tools/analysis/benchmark_backbones.py')


def test_tiny_run_prints_a_markdown_table(capsys):
    rows = benchmark.main(['--shape', '1', '3', '2', '32', '32', '--models', 'vsgt-tiny',
                           'swin-t', '--repeats', '1', '--warmup', '0'])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith('|')]
    assert lines[0].startswith('| model | params (M) | GFLOPs | fwd clips/s')
    assert [line.split('|')[1].strip() for line in lines[2:]] == ['vsgt-tiny', 'swin-t']
    assert '(1.00x)' in lines[3] and 'ratios to swin-t' in out
    for row in rows.values():
        assert row['flops'] > 0 and row['fwd'] > 0 and row['train'] > 0


def test_skip_speed_gives_params_and_flops_only(capsys):
    benchmark.main(['--shape', '1', '3', '2', '32', '32', '--models', 'vsgt-tiny',
                    '--skip-speed'])
    header = next(line for line in capsys.readouterr().out.splitlines()
                  if line.startswith('| model'))
    assert header == '| model | params (M) | GFLOPs |'
