"""Checks that need a CUDA GPU: ``bash tools/gpu_check.sh [--work-dir DIR]``.

1. One training iteration (``tools/train.py``) and one test pass (``tools/test.py``) of every
   synthetic config, in fp32 and with AMP (``--amp``; testing with ``test_cfg.fp16=True``), on
   small synthetic sets made in the work dir.
2. The CUDA ops the models use against their CPU results: mmcv's ``RoIAlign`` (average and
   max, aligned or not; forward and backward) and torchvision's ``batched_nms`` (VSGN).
3. Training-step time and peak memory of VSGT-S against Video Swin-T on one 32x224x224 clip
   (``tools/analysis/benchmark_backbones.py``).

Prints one line per check and a summary; exits 1 if any check failed. Without CUDA it stops at
once with one line.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Synthetic sets, as the configs expect them under ``data/``: (folder, generator script under
#: ``tools/data``, arguments).
DATASETS = (
    ('synthetic', 'synthetic/generate.py', ['--num-videos', '8', '--num-frames', '24']),
    ('synthetic_context', 'synthetic/generate.py', ['--num-videos', '8', '--num-frames', '24',
                                                    '--context']),
    ('synthetic_rec', 'synthetic/generate.py', ['--num-videos', '16', '--num-frames', '16',
                                                '--preset', 'recognition', '--rawframe-lists']),
    ('synthetic_tal', 'synthetic_tal/generate.py', ['--num-videos', '8']),
    ('synthetic_tal_clutter', 'synthetic_tal/generate.py', ['--num-videos', '8', '--preset',
                                                            'clutter']),
    ('synthetic_tal_frames', 'synthetic_tal/generate_frames.py', ['--preset', 'frames_tiny']),
)
#: Largest |CUDA - CPU| of an op's outputs and input gradients on unit-scale inputs.
OP_TOLERANCE = 1e-4


def synthetic_configs():
    """Every shipped config that trains on a synthetic set, relative to the repository."""
    patterns = ('configs/synthetic/*.py', 'projects/*/configs/synthetic/*.py',
                'projects/*/configs/*_synthetic*.py')
    return sorted({osp.relpath(path, ROOT) for pattern in patterns
                   for path in glob.glob(osp.join(ROOT, pattern))})


def one_iteration_options(config):
    """``--cfg-options`` that train ``config`` for one iteration (one epoch of an epoch loop)
    and save its checkpoint, loading data in the tool's process (one iteration gains nothing
    from worker processes)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    loop = cfg.train_cfg.get('type', 'EpochBasedTrainLoop')
    length = ['train_cfg.max_iters=1'] if loop.endswith('IterBasedTrainLoop') else \
        ['train_cfg.max_epochs=1']
    loaders = [f'{loader}.{option}' for loader in ('train_dataloader', 'test_dataloader')
               for option in ('num_workers=0', 'persistent_workers=False')]
    return [*length, 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
            *loaders]


def run(command, cwd, log):
    """Run ``command``; (passed, seconds, last error line) with its output appended to ``log``."""
    start = time.perf_counter()
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    with open(log, 'a') as file:
        file.write(f'$ {" ".join(map(str, command))}\n{result.stdout}{result.stderr}\n')
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.returncode == 0, time.perf_counter() - start, (lines or [''])[-1]


def make_data(work_dir, log):
    for folder, generator, arguments in DATASETS:
        out = osp.join(work_dir, 'data', folder)
        if not osp.isdir(out):
            ok, _, error = run([sys.executable, osp.join(ROOT, 'tools', 'data', generator), out,
                                '--no-progress', *arguments], work_dir, log)
            if not ok:
                raise RuntimeError(f'generating {out} failed: {error}')


def check_configs(work_dir, log, configs=None, precisions=('fp32', 'amp')):
    """(config, precision, passed, message) of one training iteration and a test pass of each
    of ``configs`` (default: every synthetic config), run in ``work_dir`` (where ``data/`` is)."""
    results = []
    for config in configs or synthetic_configs():
        name = osp.splitext(osp.basename(config))[0]
        for precision in precisions:
            run_dir = osp.join(work_dir, 'runs', f'{name}-{precision}')
            train = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), osp.join(ROOT, config),
                     '--work-dir', run_dir, '--seed', '0', '--no-validate',
                     *(['--amp'] if precision == 'amp' else []),
                     '--cfg-options', *one_iteration_options(config)]
            ok, seconds, error = run(train, work_dir, log)
            message = f'train {seconds:.1f} s'
            if ok:
                from vsgt.utils import last_checkpoint
                test = [sys.executable, osp.join(ROOT, 'tools', 'test.py'),
                        osp.join(ROOT, config), last_checkpoint(run_dir), '--work-dir',
                        osp.join(run_dir, 'test'), '--cfg-options',
                        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
                        *(['test_cfg.fp16=True'] if precision == 'amp' else [])]
                ok, seconds, error = run(test, work_dir, log)
                message += f', test {seconds:.1f} s'
            results.append((config, precision, ok, message if ok else error))
            print(f'{"ok  " if ok else "FAIL"} {config} {precision}: {results[-1][3]}',
                  flush=True)
    return results


def roi_align_cases():
    """(name, RoIAlign arguments) of the settings the shipped configs use."""
    return [(f'RoIAlign {mode} aligned={aligned}',
             dict(output_size=(7, 7), spatial_scale=1 / 16, sampling_ratio=0, pool_mode=mode,
                  aligned=aligned))
            for mode in ('avg', 'max') for aligned in (True, False)]


def compare_op(op_cls, arguments, device):
    """Largest |device - CPU| of ``op_cls(**arguments)``'s output and input gradient."""
    import torch
    generator = torch.Generator().manual_seed(0)
    feats = torch.rand(2, 16, 20, 24, generator=generator)
    boxes = torch.rand(6, 4, generator=generator) * torch.tensor([150., 120., 150., 120.])
    rois = torch.cat([torch.tensor([[0.], [0.], [0.], [1.], [1.], [1.]]),
                      torch.minimum(boxes[:, :2], boxes[:, 2:]),
                      torch.maximum(boxes[:, :2], boxes[:, 2:]) + 8], dim=1)
    op = op_cls(**arguments)
    outputs, grads = [], []
    for where in ('cpu', device):
        x = feats.to(where).requires_grad_()
        out = op(x, rois.to(where))
        out.backward(torch.linspace(-1, 1, out.numel()).reshape(out.shape).to(where))
        outputs.append(out.detach().cpu())
        grads.append(x.grad.cpu())
    return max((outputs[0] - outputs[1]).abs().max().item(),
               (grads[0] - grads[1]).abs().max().item())


def nms_agrees(device):
    """Whether torchvision's ``batched_nms`` (VSGN's) keeps the same boxes on ``device`` as on
    the CPU, on random overlapping boxes of three classes."""
    import torch
    from torchvision.ops import batched_nms
    generator = torch.Generator().manual_seed(0)
    corners = torch.rand(300, 2, generator=generator) * 100
    boxes = torch.cat([corners, corners + 5 + torch.rand(300, 2, generator=generator) * 30], 1)
    scores = torch.rand(300, generator=generator)
    labels = torch.randint(0, 3, (300, ), generator=generator)
    keep = [batched_nms(boxes.to(where), scores.to(where), labels.to(where), 0.4).cpu()
            for where in ('cpu', device)]
    return torch.equal(keep[0], keep[1])


def check_ops():
    from mmcv.ops import RoIAlign
    results = []
    for name, arguments in roi_align_cases():
        error = compare_op(RoIAlign, arguments, 'cuda')
        ok = error <= OP_TOLERANCE
        results.append((name, 'cuda vs cpu', ok, f'max |diff| {error:.2e}'))
        print(f'{"ok  " if ok else "FAIL"} {name}: max |CUDA - CPU| {error:.2e} '
              f'(tolerance {OP_TOLERANCE:g})', flush=True)
    ok = nms_agrees('cuda')
    results.append(('torchvision batched_nms', 'cuda vs cpu', ok, ''))
    print(f'{"ok  " if ok else "FAIL"} torchvision batched_nms: '
          f'{"the same" if ok else "other"} boxes kept on CUDA as on the CPU', flush=True)
    return results


def check_backbones(log):
    command = [sys.executable, osp.join(ROOT, 'tools', 'analysis', 'benchmark_backbones.py'),
               '--models', 'vsgt-s', 'swin-t', '--shape', '1', '3', '32', '224', '224',
               '--device', 'cuda']
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    with open(log, 'a') as file:
        file.write(f'$ {" ".join(command)}\n{result.stdout}{result.stderr}\n')
    print(result.stdout, flush=True)
    ok = result.returncode == 0
    error = '' if ok else (result.stderr.strip().splitlines() or [''])[-1]
    return [('benchmark_backbones.py', 'vsgt-s vs swin-t', ok, error)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/gpu_check',
                        help='where the synthetic sets, runs and log.txt go')
    parser.add_argument('--skip', nargs='+', default=[], choices=['configs', 'ops', 'backbones'],
                        help='checks to leave out')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        print('gpu_check: error: no CUDA device is visible (torch.cuda.is_available() is '
              'False): these checks run on a CUDA GPU', file=sys.stderr)
        sys.exit(1)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    log = osp.join(work_dir, 'log.txt')
    print(f'GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, CUDA '
          f'{torch.version.cuda}; output of every command in {log}', flush=True)
    results = []
    if 'configs' not in args.skip:
        make_data(work_dir, log)
        results += check_configs(work_dir, log)
    if 'ops' not in args.skip:
        results += check_ops()
    if 'backbones' not in args.skip:
        results += check_backbones(log)
    failed = [f'{name} {what}' for name, what, ok, _ in results if not ok]
    print(f'{len(results) - len(failed)} of {len(results)} checks passed'
          + (f'; failed: {", ".join(failed)}' if failed else ''))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
