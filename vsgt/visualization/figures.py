"""Saving matplotlib figures as PNG files, atomically."""
import io
from typing import Optional

from vsgt.evaluation.functional.formats import atomic_write


def check_png_path(path: str) -> None:
    """Refuse an output path that is not a .png file."""
    if not path.lower().endswith('.png'):
        raise ValueError(f'the output must be a .png file, got {path}')


def check_colors(colors: Optional[int]) -> None:
    """Refuse a palette size outside 2..256 (None, full colour, is fine)."""
    if colors is not None and not 2 <= colors <= 256:
        raise ValueError(f'--colors must be in 2..256, got {colors}')


def save_figure(figure, path: str, dpi: int = 80, colors: Optional[int] = None) -> None:
    """Write ``figure`` (a matplotlib Figure) to the PNG ``path``, whole or not at all.

    ``colors`` (2-256) makes a palette PNG with that many colours: several times smaller, for
    documentation.
    """
    check_png_path(path)
    check_colors(colors)
    if colors is None:
        atomic_write(path, lambda file: figure.savefig(file, format='png', dpi=dpi))
        return
    from PIL import Image
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=dpi)
    image = Image.open(buffer).convert('RGB').quantize(
        colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    atomic_write(path, lambda file: image.save(file, format='png', optimize=True))
