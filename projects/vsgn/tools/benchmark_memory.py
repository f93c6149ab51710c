"""Peak memory and time of one VSGN training step: the graph layer's neighbour read by a flat
index (this project) against a ``torch.gather`` on an expanded ``(B, N, N, C)`` view (the
reference, whose backward materialises a dense ``(B, N, N, C)`` gradient).

``python projects/vsgn/tools/benchmark_memory.py [--config CONFIG] [--batch-size 8]
[--device cpu|cuda] [--seed 0]`` (``CONFIG``: ``projects/vsgn/configs/vsgn_thumos14-tsn-1280.py``)

Each variant runs in a fresh subprocess on the same random batch (the model of ``--config``,
seeded, windows of its ``window_size`` with two actions each, every other one stitched): one
forward, loss and backward. Peak memory: on CUDA ``torch.cuda.max_memory_allocated``; on the CPU
the growth of the process's peak resident set over its size before the step. Prints both
variants, their ratio, and the largest difference of the losses, the outputs and the parameter
gradients between the two.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import torch
from mmengine.config import Config

from vsgt.utils.launch import add_device_argument, check_device, run_cli

DEFAULT_CONFIG = 'projects/vsgn/configs/vsgn_thumos14-tsn-1280.py'


def dense_gather_forward(self, x, magnified_from=None, num_valid=None):
    """The reference: ``CrossScaleGraphLayer.forward`` reading neighbours with ``torch.gather``
    on the messages expanded to ``(B, N, N, C)``."""
    from vsgt_projects.vsgn.vsgn.xgpn import cross_scale_knn
    channels = x.shape[1]
    neighbours = cross_scale_knn(x, self.num_neighbours, magnified_from, num_valid)
    points = x.transpose(1, 2)
    messages = torch.nn.functional.linear(points, self.mlp.weight[:, :channels])
    centre = torch.nn.functional.linear(points, self.mlp.weight[:, channels:], self.mlp.bias)
    gathered = torch.gather(messages[:, None].expand(-1, points.shape[1], -1, -1), 2,
                            neighbours[..., None].expand(-1, -1, -1, messages.shape[-1]))
    return (gathered.amax(dim=2) + centre).transpose(1, 2)


def random_batch(cfg, batch_size, seed):
    """Random windows with two actions each; odd ones stitched (n = 0.3 T, gap 30 steps)."""
    from mmaction.structures import ActionDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(seed)
    size = cfg.model.window_size
    inputs = torch.randn(batch_size, cfg.model.in_channels, size, generator=generator)
    samples = []
    for b in range(batch_size):
        sample = ActionDataSample()
        starts = torch.rand(2, generator=generator) * size * 0.8
        lengths = 4 + torch.rand(2, generator=generator) * size * 0.1
        sample.gt_instances = InstanceData(
            segments=torch.stack([starts, starts + lengths], 1).round(),
            labels=torch.randint(cfg.model.num_classes, (2, ), generator=generator))
        meta = dict(num_valid=size, window_size=size)
        if b % 2:
            n = int(0.3 * size)
            meta['stitch'] = dict(n=n, gap=30, m=size - n - 30)
        sample.set_metainfo(meta)
        samples.append(sample)
    return inputs, samples


def current_rss() -> int:
    with open('/proc/self/statm') as file:
        return int(file.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def run_variant(args):
    """One training step (in this process); saves losses, outputs and gradients."""
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    import vsgt_projects.vsgn.vsgn  # noqa: F401
    from vsgt_projects.vsgn.vsgn.xgpn import CrossScaleGraphLayer
    if args.variant == 'dense_gather':
        CrossScaleGraphLayer.forward = dense_gather_forward
    cfg = Config.fromfile(args.config)
    init_default_scope('mmaction')
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model).to(args.device).train()
    inputs, samples = random_batch(cfg, args.batch_size, args.seed)
    inputs = inputs.to(args.device)
    samples = [s.to(args.device) for s in samples]
    if args.device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    else:
        before = current_rss()
    start = time.perf_counter()
    outputs = model._forward(inputs, samples)
    losses = model.loss(outputs, samples)
    sum(losses.values()).backward()
    if args.device == 'cuda':
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - before
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    seconds = time.perf_counter() - start
    torch.save(dict(losses={k: v.detach().cpu() for k, v in losses.items()},
                    outputs=[o.detach().cpu() for o in outputs],
                    grads={n: p.grad.detach().cpu() for n, p in model.named_parameters()
                           if p.grad is not None}), args.out)
    print(json.dumps(dict(peak=peak, seconds=seconds)))


def max_difference(a, b):
    if isinstance(a, dict):
        return max(max_difference(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return max(max_difference(x, y) for x, y in zip(a, b))
    return (a - b).abs().max().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--batch-size', type=int, default=8)
    add_device_argument(parser)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--variant', choices=('flat_index', 'dense_gather'), help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    check_device(args.device)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    if args.variant:
        return run_variant(args)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in ('dense_gather', 'flat_index'):
            out = osp.join(folder, variant + '.pt')
            command = [sys.executable, osp.abspath(__file__), '--config', args.config,
                       '--batch-size', str(args.batch_size), '--device', args.device, '--seed',
                       str(args.seed), '--variant', variant, '--out', out]
            root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                [root] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
            if done.returncode:
                raise RuntimeError(f'the {variant} step failed: {done.stderr.strip()[-500:]}')
            results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
            results[variant]['saved'] = torch.load(out, weights_only=True)
            print(f'{variant:>12}: peak {results[variant]["peak"] / 2**20:9.1f} MiB, '
                  f'{results[variant]["seconds"]:7.2f} s', flush=True)
    old, new = results['dense_gather'], results['flat_index']
    print(f'flat_index / dense_gather: peak {new["peak"] / old["peak"]:.3f}, time '
          f'{new["seconds"] / old["seconds"]:.3f}')
    for part in ('losses', 'outputs', 'grads'):
        print(f'max |difference| of the {part}: '
              f'{max_difference(old["saved"][part], new["saved"][part]):.2e}')


if __name__ == '__main__':
    run_cli(main)
