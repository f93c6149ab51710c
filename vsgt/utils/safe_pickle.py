"""Loading the pickles the project reads without running code from them.

Annotation pickles (``UCF101v2-GT.pkl``, MultiSports' and this project's ``gt.pkl``), AVA proposal
pickles and dumped results are often downloaded from third parties. ``pickle.load`` calls any
function a file names, so these files are read with :func:`safe_load`, whose unpickler resolves
only the types such files hold: builtin containers and scalars, and numpy arrays, dtypes and
scalars (numpy 1 ``numpy.core`` and numpy 2 ``numpy._core`` spellings). Any other global ends
the load with one line naming the file and the refused type, before anything is called.
"""
import _compat_pickle
import io
import os.path as osp
import pickle
from typing import Any

_ALLOWED = {
    'builtins': {'dict', 'list', 'tuple', 'set', 'frozenset', 'int', 'float', 'complex', 'bool',
                 'str', 'bytes', 'bytearray', 'slice', 'range'},
    'collections': {'OrderedDict', 'defaultdict'},
    # Python 3 pickles of bytes at protocols < 3 (numpy arrays among them) call _codecs.encode.
    '_codecs': {'encode'},
    'numpy': {'ndarray', 'dtype', 'bool_', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
              'uint32', 'uint64', 'float16', 'float32', 'float64', 'complex64', 'complex128',
              'str_', 'bytes_'},
    'numpy.core.multiarray': {'_reconstruct', 'scalar'},
    'numpy._core.multiarray': {'_reconstruct', 'scalar'},
    'numpy.core.numeric': {'_frombuffer'},
    'numpy._core.numeric': {'_frombuffer'},
}


class RefusedPickleType(pickle.UnpicklingError):
    """A pickle names a global that :func:`safe_load` does not admit."""


class _RestrictedUnpickler(pickle.Unpickler):

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 spellings (``__builtin__.xrange``), as pickle's own fix_imports maps them.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise RefusedPickleType(f'{module}.{name}')


def safe_loads(data: bytes, source: str = 'pickle', encoding: str = 'ASCII') -> Any:
    """Unpickle ``data`` admitting only builtin and numpy types (see the module docstring).

    Args:
        data: The pickled bytes.
        source: What to name in errors (usually the file path).
        encoding: How Python 2 ``str`` objects are decoded; ``'latin1'`` reads Python 2 pickles
            holding numpy arrays.
    """
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
    except RefusedPickleType as refused:
        raise ValueError(f'{source}: refused to load the pickle: it holds the type {refused}, '
                         'which is not a builtin or numpy type (such a file could run code)'
                         ) from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError,
            IndexError, KeyError, UnicodeDecodeError) as error:
        raise ValueError(f'{source}: not a readable pickle ({type(error).__name__}: {error})'
                         ) from None


def safe_load(path: str, what: str = 'pickle', encoding: str = 'ASCII') -> Any:
    """Read the pickle file ``path`` with :func:`safe_loads`; one-line error if missing."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} not found')
    with open(path, 'rb') as file:
        return safe_loads(file.read(), source=path, encoding=encoding)
