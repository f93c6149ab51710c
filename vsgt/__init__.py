"""VSGT: spatio-temporal action detection with the VSG-Transformer, on mmaction2."""
from . import compat

compat.apply()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (register modules)

__version__ = '0.1.0'
