"""Training curves from mmengine's JSON logs: ``python tools/analysis/plot_curves.py WORK_DIR
--keys loss frame_mAP@0.5 --out curves.png``.

WORK_DIR is a work dir (every run's ``<timestamp>/vis_data/scalars.json``, in time order, so a
resumed training continues its curve), a run directory or one JSON log (``scalars.json`` or
``<timestamp>.json``). One panel per key, against mmengine's ``step`` (the iteration; for
validation in epoch-based loops, the epoch).
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + ' ' +
                                     __doc__.splitlines()[1])
    parser.add_argument('logs', help='work dir, run directory or JSON log')
    parser.add_argument('--keys', nargs='+', default=['loss'], help='scalars to plot')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--title', help='figure title (default: the logs\' path)')
    parser.add_argument('--dpi', type=int, default=80, help='resolution of the PNG')
    parser.add_argument('--colors', type=int,
                        help='write a palette PNG of this many colours (2-256; smaller files)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.visualization.curves import find_scalar_logs, plot_curves, read_scalars
    from vsgt.visualization.figures import check_colors, check_png_path
    check_png_path(args.out)
    check_colors(args.colors)
    logs = find_scalar_logs(args.logs)
    series = read_scalars(logs)
    title = args.title if args.title is not None else osp.normpath(args.logs)
    plot_curves(series, args.keys, args.out, title, args.dpi, args.colors)
    print(f'wrote {args.out}: ' + ', '.join(f'{key} ({len(series[key])} points)'
                                            for key in args.keys) +
          f' from {len(logs)} log(s)')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
