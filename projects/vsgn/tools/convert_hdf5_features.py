"""Turn the TSN features of the official VSGN THUMOS14 release (HDF5) into per-video ``.npy``.

``python projects/vsgn/tools/convert_hdf5_features.py FEATURE_DIR OUT_DIR [--subsets val test]``

``FEATURE_DIR`` holds the release's ``rgb_{subset}.h5`` and ``flow_{subset}.h5``: one dataset
per video, ``(num_frames, C)`` features (one step per frame). Each video becomes
``OUT_DIR/{video}.npy``, float32 ``(num_frames, C_rgb + C_flow)``, RGB then flow, as the official
loader concatenates them; the layout ``configs/_base_/datasets/thumos14_tsn_1280.py`` reads.
A video missing from one stream, or with streams of different lengths, stops the conversion with
one line naming the files and the video; each ``.npy`` is written atomically. Needs ``h5py``
(``pip install h5py``; an optional dependency of this project).
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.launch import run_cli


def import_h5py():
    try:
        import h5py
    except ImportError:
        raise ModuleNotFoundError('reading the HDF5 features needs h5py, which is not '
                                  'installed: pip install h5py') from None
    return h5py


def convert_subset(feature_dir: str, subset: str, out_dir: str) -> int:
    """Write the ``.npy`` of every video of ``subset``; returns their number."""
    h5py = import_h5py()
    paths = [osp.join(feature_dir, f'{stream}_{subset}.h5') for stream in ('rgb', 'flow')]
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(f'feature file not found: {path}')
    with h5py.File(paths[0], 'r') as rgb, h5py.File(paths[1], 'r') as flow:
        extra = sorted(set(rgb) ^ set(flow))
        if extra:
            raise KeyError(f'video {extra[0]} is in only one of {paths[0]} and {paths[1]}')
        os.makedirs(out_dir, exist_ok=True)
        for video in sorted(rgb):
            streams = [np.asarray(f[video][()], dtype=np.float32) for f in (rgb, flow)]
            if any(s.ndim != 2 for s in streams) or len(streams[0]) != len(streams[1]):
                raise ValueError(f'video {video}: rgb {streams[0].shape} and flow '
                                 f'{streams[1].shape} in {feature_dir} are not (num_frames, C) '
                                 'arrays of the same length')
            feature = np.concatenate(streams, axis=1)
            if not np.isfinite(feature).all():
                raise ValueError(f'video {video} in {feature_dir}: non-finite features')
            atomic_write(osp.join(out_dir, f'{video}.npy'),
                         lambda file, feature=feature: np.save(file, feature))
        return len(rgb)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('feature_dir', help='folder of rgb_{subset}.h5 and flow_{subset}.h5')
    parser.add_argument('out_dir', help='folder for the {video}.npy files')
    parser.add_argument('--subsets', nargs='+', default=['val', 'test'],
                        help='subsets of the release (file name suffixes)')
    args = parser.parse_args(argv)
    try:
        import_h5py()
    except ModuleNotFoundError as error:
        print(f'{parser.prog}: error: {error}', file=sys.stderr)
        sys.exit(1)
    for subset in args.subsets:
        count = convert_subset(args.feature_dir, subset, args.out_dir)
        print(f'{subset}: wrote {count} videos to {args.out_dir}', flush=True)


if __name__ == '__main__':
    run_cli(main)
