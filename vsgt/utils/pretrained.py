"""The pretrained weights a config loads, where each comes from, and a check that they are there.

``tools/train.py`` checks them before anything else is built, so a missing file is one line that
names it, the config key that asks for it and what provides it (see ``checkpoints/README.md``),
not an error after the data have been indexed.
"""
import os.path as osp
from typing import Iterator, Tuple

_MMACTION2_ZOO = 'https://download.openmmlab.com/mmaction'
_VSGT_K400 = 'vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb'

#: What provides each pretrained file the shipped configs load (the file as the config names it).
PROVIDERS = {
    'checkpoints/sgformer_s.pth':
        "the SG-Former authors' ImageNet-1k SG-Former-S release "
        '(github.com/OliverRensu/SG-Former), saved under this name as downloaded',
    f'checkpoints/{_VSGT_K400}.pth':
        f'not released: train configs/recognition/vsgt/{_VSGT_K400}.py (bash tools/dist_train.sh '
        f'CONFIG 8) and copy its work_dirs/{_VSGT_K400}/epoch_30.pth here',
    'checkpoints/swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_'
    '20220930-241016b2.pth':
        f'mmaction2 model zoo: {_MMACTION2_ZOO}/v1.0/recognition/swin/'
        'swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb/'
        'swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_20220930-241016b2.pth',
    'checkpoints/swin-small-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_'
    '20220930-e91ab986.pth':
        f'mmaction2 model zoo: {_MMACTION2_ZOO}/v1.0/recognition/swin/'
        'swin-small-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb/'
        'swin-small-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_20220930-e91ab986.pth',
    'checkpoints/slowfast_r50_8x8x1_256e_kinetics400_rgb_20200716-73547d2b.pth':
        f'mmaction2 model zoo: {_MMACTION2_ZOO}/recognition/slowfast/'
        'slowfast_r50_8x8x1_256e_kinetics400_rgb/'
        'slowfast_r50_8x8x1_256e_kinetics400_rgb_20200716-73547d2b.pth',
    'checkpoints/slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb_20220818-9c0e09bd.pth':
        f'mmaction2 model zoo: {_MMACTION2_ZOO}/v1.0/recognition/slowfast/'
        'slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb/'
        'slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb_20220818-9c0e09bd.pth',
    'checkpoints/afsd/i3d_rgb_imagenet.pth':
        "AFSD's I3D RGB weights (models/i3d_models/rgb_imagenet.pt of the AFSD release, "
        'github.com/TencentYoutuResearch/ActionDetection-AFSD) converted by python '
        'projects/gaf/tools/convert_official_checkpoint.py rgb_imagenet.pt '
        'checkpoints/afsd/i3d_rgb_imagenet.pth',
    'checkpoints/afsd/i3d_flow_imagenet.pth':
        "AFSD's I3D flow weights (models/i3d_models/flow_imagenet.pt of the AFSD release) "
        'converted by python projects/gaf/tools/convert_official_checkpoint.py '
        'flow_imagenet.pt checkpoints/afsd/i3d_flow_imagenet.pth --config '
        'projects/gaf/configs/afsd_thumos14-flow.py',
    'work_dirs/gaf_thumos14-i3d-rgb/epoch_16.pth':
        'the GAF teacher: python tools/train.py projects/gaf/configs/gaf_thumos14-i3d-rgb.py',
}

#: Model arguments that name a weights file the model reads when it is initialised.
_WEIGHT_KEYS = ('checkpoint', 'pretrained', 'teacher_checkpoint')


def pretrained_files(cfg) -> Iterator[Tuple[str, str]]:
    """(config key, path) of every local weights file ``cfg`` loads in training: ``load_from``
    and the model's ``init_cfg`` checkpoints, ``pretrained`` and ``teacher_checkpoint`` paths.
    URLs (fetched by mmengine into its cache) are left out."""
    def walk(node, key):
        if isinstance(node, dict):
            for name, value in node.items():
                if name in _WEIGHT_KEYS and isinstance(value, str):
                    yield f'{key}.{name}', value
                else:
                    yield from walk(value, f'{key}.{name}')
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                yield from walk(item, f'{key}.{index}')

    found = [('load_from', cfg.get('load_from'))] if cfg.get('load_from') else []
    found += list(walk(cfg.get('model', {}), 'model'))
    return ((key, path) for key, path in found if '://' not in path)


def provider(path: str) -> str:
    """Where the weights file ``path`` comes from (``checkpoints/README.md`` for the others)."""
    known = PROVIDERS.get(osp.normpath(path).replace(osp.sep, '/'))
    return known or 'see checkpoints/README.md'


def check_pretrained_files(cfg) -> None:
    """Raise FileNotFoundError, one line, for the first weights file of ``cfg`` that is missing."""
    for key, path in pretrained_files(cfg):
        if not osp.isfile(path):
            # an init_cfg without its checkpoint is not valid: it is switched off as a whole
            off = key.rpartition('.')[0] if key.endswith('.checkpoint') else key
            raise FileNotFoundError(
                f'pretrained weights not found: {path} (config key {key}); source: '
                f'{provider(path)}; --cfg-options {off}=None starts without it')
