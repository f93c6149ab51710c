"""Cost of VSGT's backbone against mmaction2's Video Swin: params, FLOPs, speed and peak memory.

Prints one markdown table, each value with its ratio to the reference model (Swin-T when it is
benchmarked, else the first model)::

    python tools/analysis/benchmark_backbones.py --shape 1 3 32 224 224 --device cuda
    python tools/analysis/benchmark_backbones.py --shape 1 3 8 112 112 --threads 2
    python tools/analysis/benchmark_backbones.py --shape 1 3 32 224 224 --skip-speed

Rows (``--models``): ``vsgt-s`` is SGFormer3D 'small' with VSGT's (faithful) stem and token
groups, ``vsgt-s-pae`` adds Person Attention Enhancement (two fixed person boxes per clip),
``vsgt-s-light`` uses the light stem and token groups, ``vsgt-s-t4`` the ``light_t4`` stem
(temporal stride 4: half the tokens) with the faithful token groups, ``vsgt-s-t4-pae`` adds PAE to
it; ``swin-t`` / ``swin-s`` are mmaction2's ``SwinTransformer3D``, ``swin-t-t4`` is Swin-T with
4x4x4 patches (the token grid of ``vsgt-s-t4``); ``vsgt-tiny`` is the quickstart's SGFormer3D
'tiny'. Backbones only, with random weights.

* FLOPs: fvcore's count of one forward pass, in its convention of one multiply-add = one FLOP
  (the convention of mmaction2's and the SG-Former papers' GFLOPs). fvcore has no handle for
  ``aten::scaled_dot_product_attention``; :func:`vsgt.utils.flops.sdpa_flop_jit` adds it,
  counting its two matrix products: ``B * heads * Lq * Lk * (d + d_v)`` (``2 * B * heads * Lq *
  Lk * d`` when ``d_v = d``). Softmax, scaling and other element-wise operators are not counted,
  as fvcore counts none of them; the footnote lists the uncounted operators.
* Speed: clips per second over ``--repeats`` timed iterations after ``--warmup`` untimed ones;
  forward in eval mode without gradients, forward+backward in train mode (loss: the mean of the
  output).
* Peak memory of one step (after an untimed one) above what was allocated before it (the
  model's weights), measured after all timings: on CUDA ``torch.cuda.max_memory_allocated``; on
  the CPU the peak of the process's resident anonymous memory (sampled every millisecond from
  ``/proc/self/statm``, glibc being told to unmap freed blocks of 64 KiB or more at once), an
  approximation; n/a where neither is available. ``--skip-speed`` skips it too.
"""
import argparse
import ctypes
import gc
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn

import vsgt  # noqa: F401  (applies vsgt.compat, registers SGFormer3D)
from vsgt.utils.flops import count_flops
from vsgt.utils.launch import add_device_argument, check_device, run_cli
from mmaction.registry import MODELS

BACKBONES = {
    'vsgt-s': dict(type='SGFormer3D', arch='small'),
    'vsgt-s-pae': dict(type='SGFormer3D', arch='small', with_pae=True),
    'vsgt-s-light': dict(type='SGFormer3D', arch='small', stem='light', token_groups='light'),
    'vsgt-s-t4': dict(type='SGFormer3D', arch='small', stem='light_t4'),
    'vsgt-s-t4-pae': dict(type='SGFormer3D', arch='small', stem='light_t4', with_pae=True),
    'vsgt-tiny': dict(type='SGFormer3D', arch='tiny'),
    'swin-t': dict(type='SwinTransformer3D', arch='tiny', pretrained=None, pretrained2d=False),
    'swin-t-t4': dict(type='SwinTransformer3D', arch='tiny', pretrained=None, pretrained2d=False,
                      patch_size=(4, 4, 4)),
    'swin-s': dict(type='SwinTransformer3D', arch='small', pretrained=None, pretrained2d=False),
}
DEFAULT_MODELS = ['vsgt-s', 'vsgt-s-pae', 'vsgt-s-light', 'vsgt-s-t4', 'vsgt-s-t4-pae', 'swin-t',
                  'swin-t-t4', 'swin-s']
REFERENCE = 'swin-t'
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
# Person boxes of the PAE row, (x1, y1, x2, y2) as fractions of the frame: two people.
PERSON_BOXES = ((0.10, 0.20, 0.40, 0.95), (0.55, 0.10, 0.85, 0.80))


class Backbone(nn.Module):
    """A backbone called the way a detector calls it (PAE rows get the person boxes)."""

    def __init__(self, name: str, shape: List[int]):
        super().__init__()
        self.backbone = MODELS.build(BACKBONES[name])
        self.with_boxes = BACKBONES[name].get('with_pae', False)
        height, width = shape[-2:]
        boxes = torch.tensor(PERSON_BOXES) * torch.tensor([width, height, width, height])
        self.register_buffer('boxes', boxes, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.with_boxes:
            return self.backbone(x)
        return self.backbone(x, person_boxes=[self.boxes] * x.shape[0])


class _PeakRSS:
    """Peak resident anonymous memory of this process in the ``with`` block, sampled every ms."""

    def __init__(self):
        self.page_size = os.sysconf('SC_PAGE_SIZE')
        self.peak = self.start = 0
        self._stop = threading.Event()

    def rss(self) -> int:
        """Resident anonymous memory (resident minus file-backed pages such as libraries)."""
        with open('/proc/self/statm') as file:
            _, resident, shared = map(int, file.read().split()[:3])
        return (resident - shared) * self.page_size

    def _sample(self):
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self.rss())

    def __enter__(self):
        self.start = self.peak = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def _libc():
    try:
        return ctypes.CDLL('libc.so.6')
    except OSError:
        return None


@contextmanager
def _track_large_allocations():
    """Within the block, glibc maps every block of 64 KiB or more on its own and unmaps it when
    freed (instead of keeping freed memory for reuse), so that the resident set follows the
    live tensors. Afterwards the threshold is 32 MiB, where glibc's own adaptive threshold ends
    up on 64-bit systems."""
    libc = _libc()
    if libc is None or not hasattr(libc, 'mallopt'):
        yield
        return
    libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)


def _release_freed_memory():
    """Return freed heap memory to the OS, so that RSS growth shows new allocations."""
    gc.collect()
    libc = _libc()
    if libc is not None and hasattr(libc, 'malloc_trim'):
        libc.malloc_trim(0)


def _steps(model: nn.Module, clip: torch.Tensor) -> Dict[str, Callable[[], None]]:
    """The two measured steps: 'fwd' (eval mode, no gradients) and 'train' (forward+backward)."""

    def forward():
        model.eval()
        with torch.no_grad():
            model(clip)

    def forward_backward():
        model.train()
        model(clip).mean().backward()
        model.zero_grad(set_to_none=True)

    return dict(fwd=forward, train=forward_backward)


def clips_per_second(step: Callable[[], None], clips: int, device: torch.device, warmup: int,
                     repeats: int) -> float:
    for _ in range(warmup):
        step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return clips * repeats / (time.perf_counter() - start)


def peak_memory(step: Callable[[], None], device: torch.device) -> Optional[int]:
    """Bytes allocated at the peak of one ``step`` (after one untimed step) above the start."""
    step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        start = torch.cuda.memory_allocated(device)
        step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - start
    if not os.path.exists('/proc/self/statm'):
        return None
    _release_freed_memory()
    with _PeakRSS() as rss:
        step()
    return rss.peak - rss.start


def build(name: str, shape: List[int], device: torch.device):
    torch.manual_seed(0)
    return Backbone(name, shape).to(device), torch.randn(*shape, device=device)


def benchmark(names: List[str], shape: List[int], device: torch.device, skip_speed: bool,
              warmup: int, repeats: int) -> Dict[str, Dict]:
    """Rows of :func:`format_table`: params, FLOPs, then speed, then memory of every model.

    Memory is measured after all timings: on the CPU it changes how glibc allocates
    (:func:`_track_large_allocations`), which would slow the timed steps down.
    """
    rows = {}
    for name in names:
        model, clip = build(name, shape, device)
        rows[name] = dict(params=sum(p.numel() for p in model.parameters()))
        rows[name]['flops'], rows[name]['uncounted'] = count_flops(model, clip)
        if not skip_speed:
            for key, step in _steps(model, clip).items():
                rows[name][key] = clips_per_second(step, shape[0], device, warmup, repeats)
    if skip_speed:
        return rows
    with _track_large_allocations() if device.type == 'cpu' else nullcontext():
        for name in names:
            model, clip = build(name, shape, device)
            for key, step in _steps(model, clip).items():
                rows[name][f'{key}_mem'] = peak_memory(step, device)
            del model, clip
    return rows


def _cell(value: Optional[float], reference: Optional[float], fmt: str) -> str:
    if value is None:
        return 'n/a'
    if not reference:
        return format(value, fmt)
    return f'{value:{fmt}} ({value / reference:.2f}x)'


def format_table(rows: Dict[str, dict], reference: str, skip_speed: bool) -> str:
    columns = [('params (M)', 'params', 1e6, '.3g'), ('GFLOPs', 'flops', 1e9, '.4g')]
    if not skip_speed:
        columns += [('fwd clips/s', 'fwd', 1, '.3g'), ('fwd+bwd clips/s', 'train', 1, '.3g'),
                    ('peak mem fwd (MiB)', 'fwd_mem', 2**20, '.0f'),
                    ('peak mem fwd+bwd (MiB)', 'train_mem', 2**20, '.0f')]
    lines = ['| model | ' + ' | '.join(title for title, *_ in columns) + ' |',
             '|---' * (len(columns) + 1) + '|']
    for name, row in rows.items():
        cells = []
        for _, key, unit, fmt in columns:
            value, ref = row.get(key), rows[reference].get(key)
            cells.append(_cell(None if value is None else value / unit,
                               None if ref is None else ref / unit, fmt))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=int, nargs=5, default=[1, 3, 32, 224, 224],
                        metavar=('N', 'C', 'T', 'H', 'W'), help='input clip batch')
    parser.add_argument('--models', nargs='+', choices=sorted(BACKBONES), default=DEFAULT_MODELS)
    add_device_argument(parser)
    parser.add_argument('--repeats', type=int, default=5, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--skip-speed', action='store_true',
                        help='params and FLOPs only (no timing, no memory)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error('--repeats must be >= 1 and --warmup >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    check_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = benchmark(list(dict.fromkeys(args.models)), args.shape, device, args.skip_speed,
                     args.warmup, args.repeats)
    reference = REFERENCE if REFERENCE in rows else next(iter(rows))
    where = torch.cuda.get_device_name(device) if device.type == 'cuda' else \
        f'CPU, {torch.get_num_threads()} thread(s)'
    print(f'Backbones on a {"x".join(map(str, args.shape))} (N x C x T x H x W) input, {where}; '
          f'ratios to {reference}.\n')
    print(format_table(rows, reference, args.skip_speed))
    uncounted = sorted(set().union(*(row['uncounted'] for row in rows.values())))
    print(f'\nNot counted in FLOPs: {", ".join(uncounted) or "none"}.')
    return rows


if __name__ == '__main__':
    run_cli(main)
