"""What the analysis pictures show: frame numbers and colour scales on the significance maps,
per-class AP values clear of the bars and the mAP line."""
import numpy as np
import pytest


@pytest.fixture
def captured(monkeypatch):
    from vsgt.visualization import results, significance
    figures = []
    for module in (results, significance):
        monkeypatch.setattr(module, 'save_figure', lambda figure, *a, **k: figures.append(figure))
    return figures


def test_significance_columns_name_their_frames_and_rows_have_colour_scales(captured):
    from vsgt.visualization.significance import plot_significance
    frames = [np.zeros((48, 64, 3), np.uint8)] * 8
    rows = [dict(title=f'block {b}', map=np.random.default_rng(seed).random((4, 3, 4)), stride=16,
                 boxes=[]) for seed, b in enumerate(('0.0', '1.0'))]
    plot_significance(frames, rows, (48, 64), 'x.png', num_frames=4, frame_ids=range(10, 18))
    axes = captured[0].axes
    titles = [ax.get_title() for ax in axes if ax.get_title()]
    # 4 token slices over 8 frames: two video frames each
    assert titles == ['frames 10-11', 'frames 12-13', 'frames 14-15', 'frames 16-17'] * 2
    bars = [ax for ax in axes if ax.get_ylabel() == 'significance']
    assert len(bars) == 2
    low, high = rows[0]['map'].min(), rows[0]['map'].max()
    assert np.allclose(bars[0].get_ylim(), (low, high))  # the scale is the row's own values
    with pytest.raises(ValueError, match='3 frame numbers for 8 frames'):
        plot_significance(frames, rows, (48, 64), 'x.png', frame_ids=[1, 2, 3])


def test_class_ap_values_are_right_of_the_plot_not_on_the_map_line(captured):
    from vsgt.visualization.results import PRCurves, plot_class_ap
    result = PRCurves(labels=('a', 'b', 'c'), iou_thr=0.5, curves=[],
                      ap=np.array([0.99, 0.985, np.nan]), num_gt=np.array([3, 2, 0]))
    plot_class_ap(result, 'x.png')
    figure = captured[0]
    main = figure.axes[0]
    assert not main.texts  # nothing written over the bars or the dashed mAP line
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure).draw()
    right = [ax for ax in main.child_axes if ax.get_yticklabels()]
    labels = [t.get_text() for t in right[0].get_yticklabels()]
    assert labels == ['99.0', '98.5', 'no GT']
    renderer = figure.canvas.get_renderer()
    plot_right = main.get_window_extent(renderer).x1
    assert all(t.get_window_extent(renderer).x0 >= plot_right
               for t in right[0].get_yticklabels())
