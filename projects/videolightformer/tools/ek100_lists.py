"""Write EPIC-KITCHENS-100 RawframeDataset lists from the official annotation CSVs.

``python projects/videolightformer/tools/ek100_lists.py EPIC_100_train.csv OUT.txt --task verb``

Each narrated segment becomes ``P01/P01_01 offset num_frames label`` (``offset`` = start_frame
- 1, so with ``start_index=1`` the segment's frames are ``frame_{start_frame:010d}.jpg`` ...
``frame_{stop_frame:010d}.jpg`` of ``rgb_frames/P01/P01_01``), label the ``verb_class`` (97) or
``noun_class`` (300).
"""
import argparse
import csv

from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.launch import run_cli

COLUMNS = ('participant_id', 'video_id', 'start_frame', 'stop_frame')
NUM_CLASSES = dict(verb=97, noun=300)


def segment_rows(csv_path: str, task: str) -> list:
    """The list rows of every segment of ``csv_path``; ValueError naming the row if malformed."""
    with open(csv_path, newline='') as file:
        reader = csv.DictReader(file)
        label_column = f'{task}_class'
        missing = [c for c in (*COLUMNS, label_column) if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f'{csv_path}: missing columns {", ".join(missing)}')
        rows = []
        for number, record in enumerate(reader, 2):
            try:
                start, stop = int(record['start_frame']), int(record['stop_frame'])
                label = int(record[label_column])
            except ValueError:
                raise ValueError(f'{csv_path} line {number}: start_frame, stop_frame and '
                                 f'{label_column} must be integers') from None
            if not 1 <= start <= stop:
                raise ValueError(f'{csv_path} line {number}: need 1 <= start_frame <= '
                                 f'stop_frame, got {start}, {stop}')
            if not 0 <= label < NUM_CLASSES[task]:
                raise ValueError(f'{csv_path} line {number}: {label_column} {label} outside '
                                 f'0..{NUM_CLASSES[task] - 1}')
            folder = f"{record['participant_id']}/{record['video_id']}"
            rows.append(f'{folder} {start - 1} {stop - start + 1} {label}')
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('csv', help='EPIC_100_train.csv or EPIC_100_validation.csv')
    parser.add_argument('out', help='list file to write')
    parser.add_argument('--task', choices=sorted(NUM_CLASSES), default='verb')
    args = parser.parse_args(argv)
    rows = segment_rows(args.csv, args.task)
    atomic_write(args.out, lambda file: file.write(''.join(f'{row}\n' for row in rows)),
                 binary=False)
    print(f'wrote {len(rows)} {args.task} segments to {args.out}')


if __name__ == '__main__':
    run_cli(main)
