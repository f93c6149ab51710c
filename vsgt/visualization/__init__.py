"""Drawing on frames (OpenCV) and plots (matplotlib, Agg): significance maps, AP and
precision-recall of results, training curves."""
from .draw import draw_notes, draw_person

__all__ = ['draw_notes', 'draw_person']
