"""An AVA CSV as an ACT-format ground-truth pickle, for the project's exact frame-mAP.

``python projects/fbil/tools/ava_gt.py data/ava/annotations/ava_val_v2.2.csv
data/ava/annotations/ava_action_list_v2.2_for_activitynet_2019.pbtxt
data/ava/annotations/ava_val_v2.2_gt.pkl [--all-classes]``

By default the 60 evaluated classes, in the order of the AVA configs' ``custom_classes``; see
:func:`vsgt_projects.fbil.fbil.ava_ground_truth`. The pickle is written atomically.
"""
import argparse

from mmengine.config import Config

from vsgt_projects.fbil.fbil import ava_ground_truth
from vsgt.evaluation.functional import check_act_annotations, dump_pickle
from vsgt.testing import ROOT
from vsgt.utils.launch import run_cli

AVA_DATA_CONFIG = f'{ROOT}/projects/fbil/configs/_base_/datasets/ava22.py'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('csv_file', help='AVA CSV, e.g. ava_val_v2.2.csv')
    parser.add_argument('label_file', help='AVA label map (.pbtxt)')
    parser.add_argument('out_file', help='ground-truth pickle to write')
    parser.add_argument('--all-classes', action='store_true',
                        help='every class of the label map instead of the 60 evaluated ones')
    args = parser.parse_args(argv)
    classes = None if args.all_classes else Config.fromfile(AVA_DATA_CONFIG).ava60_classes
    gt = ava_ground_truth(args.csv_file, args.label_file, classes)
    check_act_annotations(gt, args.out_file, ('test_videos', ))
    dump_pickle(gt, args.out_file)
    boxes = sum(len(t) for tubes in gt['gttubes'].values() for ts in tubes.values() for t in ts)
    print(f'wrote {len(gt["test_videos"][0])} videos, {len(gt["labels"])} classes, {boxes} boxes '
          f'to {args.out_file}')


if __name__ == '__main__':
    run_cli(main)
