"""Write a copy of an ActivityNet-layout annotation JSON with every action labelled the same.

``python projects/gaf/tools/class_agnostic_annotations.py IN OUT [--label action]``

AFSD and GAF on ActivityNet v1.3 detect class-agnostic actions (the label would come from an
external video classifier): ``gaf_anet13-i3d.py`` reads the file this writes. The input is
checked as ``TALFeatureDataset`` checks it; the output is written atomically.
"""
import argparse
import json
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_file', help='annotation JSON (ActivityNet layout)')
    parser.add_argument('out', help='the class-agnostic annotation JSON to write')
    parser.add_argument('--label', default='action', help='the one label (default: action)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.datasets.tal import parse_tal_annotations
    from vsgt.evaluation.functional.formats import atomic_write
    if not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'annotation file {args.ann_file} not found')
    with open(args.ann_file) as file:
        try:
            content = json.load(file)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f'{args.ann_file}: not valid JSON ({error})') from None
    parse_tal_annotations(content, args.ann_file)
    count = 0
    for entry in content['database'].values():
        for annotation in entry['annotations']:
            annotation['label'] = args.label
            count += 1
    content.pop('taxonomy', None)
    atomic_write(args.out, lambda file: json.dump(content, file), binary=False)
    print(f'wrote {args.out}: {len(content["database"])} videos, {count} actions labelled '
          f'{args.label!r}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
