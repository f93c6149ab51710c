"""A hook for the distributed test: every rank writes what it holds after training."""
import json
import os.path as osp

import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankCheckHook(Hook):
    """After training, each rank writes its parameter checksum, the world size and its samples."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.samples = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.samples += [f'{s.video_id},{s.timestamp}' for s in data_batch['data_samples']]

    def after_train(self, runner):
        params = [p.detach().double().flatten() for p in runner.model.parameters()]
        checksum = torch.cat(params).sum().item()
        gathered = all_gather_object(checksum)
        with open(osp.join(self.out_dir, f'rank{get_rank()}.json'), 'w') as f:
            json.dump(dict(world_size=get_world_size(), checksum=checksum, gathered=gathered,
                           backend=torch.distributed.get_backend(), samples=self.samples), f)
