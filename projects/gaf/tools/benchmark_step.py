"""Time of one training step of an end-to-end AFSD / GAF config at its window size.

``python projects/gaf/tools/benchmark_step.py CONFIG [--batch-size N] [--steps 3]
[--device cpu|cuda] [--seeds 0] [--cfg-options ...]`` (e.g.
``projects/gaf/configs/afsd_thumos14-rgb.py``: windows of 256 frames of 96x96)

The model of ``CONFIG`` (no pretrained weights are loaded: the time does not depend on them)
takes ``model.train_step`` with the config's optimizer (``OptimWrapperDict`` for GAF) on a
random batch: frames in [-1, 1] of the config's ``(C, window_size, crop_size, crop_size)``, two
actions per window (0.1-0.4 and 0.6-0.65 of it, so AFSD's boundary-consistency pass has an action
longer than twice the shortest and a gap to paste from). One untimed step, then ``--steps`` timed
ones; prints their mean, min and max wall-clock seconds and the process's CPU seconds per step,
per seed.
"""
import argparse
import math
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.utils import import_modules_from_strings

from vsgt.apis.inference import load_model_config
from vsgt.utils.launch import add_device_argument, check_device, run_cli


def random_batch(cfg: Config, batch_size: int, seed: int) -> dict:
    """``batch_size`` packed random windows of the config's size with two actions each."""
    from mmaction.structures import ActionDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(seed)
    size, crop = cfg.model.window_size, cfg.model.crop_size
    spans = torch.tensor([[0.1, 0.4], [0.6, 0.65]]) * size
    inputs, samples = [], []
    for _ in range(batch_size):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(
            segments=spans.clone(),
            labels=torch.randint(cfg.model.num_classes, (2, ), generator=generator))
        sample.set_metainfo(dict(
            video_name='random', duration=size / 10., feature_rate=10., feature_offset=0.,
            window_start=0, window_size=size, scale=1., num_valid=size,
            min_action_frames=math.ceil(float((spans[:, 1] - spans[:, 0]).min()))))
        inputs.append(torch.rand(cfg.model.in_channels, size, crop, crop,
                                 generator=generator) * 2 - 1)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def time_steps(cfg: Config, batch_size: int, steps: int, device: str, seed: int) -> dict:
    """Seconds (wall clock and process CPU) of ``steps`` training steps after an untimed one."""
    from mmaction.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import set_random_seed
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    set_random_seed(seed)
    model = MODELS.build(cfg.model).to(device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = random_batch(cfg, batch_size, seed)
    wall, cpu = [], []
    for step in range(steps + 1):
        if device == 'cuda':
            torch.cuda.synchronize()
        start, start_cpu = time.perf_counter(), time.process_time()
        losses = model.train_step(data, optim_wrapper)
        if device == 'cuda':
            torch.cuda.synchronize()
        if step:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        if not all(torch.isfinite(value) for value in losses.values()):
            raise FloatingPointError(f'a non-finite loss at step {step}: '
                                     f'{ {k: float(v) for k, v in losses.items()} }')
    return dict(wall=wall, cpu=cpu, losses=sorted(losses))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='an end-to-end config (frames in)')
    parser.add_argument('--batch-size', type=int, default=None,
                        help="windows per step (default: the config's training batch size)")
    parser.add_argument('--steps', type=int, default=3, help='timed steps after an untimed one')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    add_device_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. model.ssl_weight=0')
    args = parser.parse_args(argv)
    check_device(args.device)
    cfg = load_model_config(args.config, args.cfg_options)
    import_modules_from_strings(**cfg.get('custom_imports', dict(imports=[])))
    if 'crop_size' not in cfg.model:
        raise ValueError(f'{args.config}: not an end-to-end config (model.crop_size missing)')
    if args.steps < 1:
        raise ValueError(f'--steps must be at least 1, got {args.steps}')
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    if batch_size < 1:
        raise ValueError(f'--batch-size must be at least 1, got {batch_size}')
    size, crop = cfg.model.window_size, cfg.model.crop_size
    print(f'{cfg.model.type}: batches of {batch_size} x ({cfg.model.in_channels}, {size}, {crop}, '
          f'{crop}) on {args.device}, {torch.get_num_threads()} threads', flush=True)
    for seed in args.seeds:
        result = time_steps(cfg, batch_size, args.steps, args.device, seed)
        wall, cpu = result['wall'], result['cpu']
        print(f'seed {seed}: {sum(wall) / len(wall):.2f} s per step (min {min(wall):.2f}, max '
              f'{max(wall):.2f}, {len(wall)} steps), CPU {sum(cpu) / len(cpu):.2f} s per step; '
              f"losses {', '.join(result['losses'])}", flush=True)


if __name__ == '__main__':
    run_cli(main)
