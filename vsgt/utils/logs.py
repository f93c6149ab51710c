"""Read what mmengine's runner wrote into a work dir."""
import glob
import json
import os.path as osp


def last_checkpoint(work_dir):
    """Path of the newest checkpoint, as recorded in ``work_dir/last_checkpoint``."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        raise FileNotFoundError(f'no checkpoint recorded in {work_dir} ({record} is missing)')
    with open(record) as f:
        return f.read().strip()


def read_test_metrics(work_dir):
    """Metrics of the newest ``tools/test.py`` run in ``work_dir`` (its ``<timestamp>.json``)."""
    logs = sorted(glob.glob(osp.join(work_dir, '[0-9]*_[0-9]*', '[0-9]*_[0-9]*.json')))
    if not logs:
        raise FileNotFoundError(f'no test log (<timestamp>/<timestamp>.json) in {work_dir}')
    with open(logs[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if not records:
        raise ValueError(f'{logs[-1]} holds no metrics')
    return records[-1]
