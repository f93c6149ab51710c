"""Work-arounds for the PyPI OpenMMLab releases on a current torch/numpy stack.

Every fix is small, targets one upstream defect (named in its docstring) and is applied once by
:func:`apply` when :mod:`vsgt` is imported. Remove a fix when the upstream release carries it.
"""
import os
import os.path as osp
import pickle
import subprocess
import sys
import types
import warnings

import numpy as np
import torch

_applied = False


def _stub_missing_drn():
    """mmaction2 1.2.0 wheels lack ``mmaction/models/localizers/drn/`` (mmaction2#2714).

    ``mmaction.models.localizers`` imports ``DRN`` from it, so ``import mmaction.models`` fails.
    Provide the two modules with a ``DRN`` that explains itself when used.
    """
    import mmaction
    name = 'mmaction.models.localizers.drn'
    shipped = osp.join(osp.dirname(mmaction.__file__), 'models', 'localizers', 'drn', 'drn.py')
    if name in sys.modules or osp.isfile(shipped):
        return

    class DRN:
        """Placeholder: DRN's sources are not shipped in the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            raise ImportError('DRN is not available: the mmaction2 1.2.0 wheel does not ship '
                              'mmaction/models/localizers/drn (mmaction2#2714).')

    package = types.ModuleType(name)
    package.__path__ = []
    module = types.ModuleType(f'{name}.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[name] = package
    sys.modules[f'{name}.drn'] = module


def _skip_multimodal_models():
    """mmaction2 1.2.0's VindLU models import names that recent ``transformers`` removed.

    With a recent ``transformers`` installed, ``import mmaction.models`` fails inside
    ``mmaction/models/multimodal/vindlu`` (no upstream issue found). VSGT does not use VindLU:
    register mmaction's own placeholders instead, as mmaction does without ``transformers``.
    """
    import mmaction.utils.dependency as dependency
    dependency.WITH_MULTIMODAL = False


def _ava_ap_without_np_nan():
    """mmaction's AVA evaluation returns ``np.NAN`` for a class without ground truth.

    numpy 2 removed the ``np.NAN`` alias (NEP 52), so evaluating such a class raises
    ``AttributeError``. Return ``nan`` there (mmaction averages class APs with ``np.nanmean``).
    """
    from mmaction.evaluation.functional.ava_evaluation import metrics
    original = metrics.compute_average_precision
    if getattr(original, '_vsgt_patched', False):
        return

    def compute_average_precision(precision, recall):
        if precision is None and recall is None:
            return float('nan')
        return original(precision, recall)

    compute_average_precision._vsgt_patched = True
    metrics.compute_average_precision = compute_average_precision


def _history_buffer_method(owner, name):
    """Stands in for ``getattr`` while unpickling: resolves only HistoryBuffer's statistics.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods (``min``, ``max``, ...) as
    ``getattr(HistoryBuffer, name)``. Allow-listing ``getattr`` itself would let a checkpoint
    reach any attribute; this resolves exactly those methods and refuses everything else.
    """
    from mmengine.logging import HistoryBuffer
    methods = HistoryBuffer._statistics_methods
    if owner is HistoryBuffer and name in methods:
        return methods[name]
    raise pickle.UnpicklingError(f'checkpoint asks for getattr({owner!r}, {name!r}); only '
                                 'HistoryBuffer statistics methods are allowed')


def checkpoint_safe_globals():
    """What an mmengine checkpoint pickles besides tensors and builtin containers.

    numpy arrays pickled under numpy 1 name ``numpy.core.multiarray``, under numpy 2
    ``numpy._core.multiarray``: both spellings are listed.
    """
    from mmengine.logging import HistoryBuffer
    HistoryBuffer()  # registers the default statistics methods
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    safe = [HistoryBuffer, np.ndarray, np.dtype,
            (_history_buffer_method, '__builtin__.getattr'),
            (_history_buffer_method, 'builtins.getattr')]
    for func in (multiarray._reconstruct, multiarray.scalar):
        safe += [(func, f'numpy.core.multiarray.{func.__name__}'),
                 (func, f'numpy._core.multiarray.{func.__name__}')]
    safe += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUSO']
    return safe


def _allow_mmengine_checkpoints():
    """mmengine 0.10.7 calls ``torch.load`` without ``weights_only`` (mmengine#1655).

    torch >= 2.6 loads weights-only by default and refuses the message hub's ``HistoryBuffer``
    and the numpy values in ``meta``, so ``load_from`` and ``--resume`` fail. Allow-list exactly
    those classes; weights-only loading stays on for everything else.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())


def _load_from_local(filename, map_location=None):
    from vsgt.utils.checkpoint import load_checkpoint_file
    return load_checkpoint_file(osp.expanduser(str(filename)), map_location)


def _load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                              check_hash=False, file_name=None, weights_only=True):
    """``torch.hub.load_state_dict_from_url`` (same cache, same download) that always reads the
    file with :func:`vsgt.utils.checkpoint.load_checkpoint_file`."""
    from urllib.parse import urlparse

    from vsgt.utils.checkpoint import load_checkpoint_file
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached_file = osp.join(model_dir, file_name or osp.basename(urlparse(url).path))
    if not osp.exists(cached_file):
        match = torch.hub.HASH_REGEX.search(osp.basename(cached_file)) if check_hash else None
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        torch.hub.download_url_to_file(url, cached_file, match and match.group(1),
                                       progress=progress)
    return load_checkpoint_file(cached_file, map_location, source=url)


def _weights_only_everywhere():
    """Checkpoints by URL are unpickled with ``weights_only=False``.

    ``torch.hub.load_state_dict_from_url`` defaults to ``weights_only=False``, and mmengine
    0.10.7's ``load_from_http`` (``load_from``, ``init_cfg=dict(type='Pretrained')``,
    ``torchvision://`` and ``open-mmlab://`` names, mmaction's ``pretrained=`` URLs) calls it
    without the argument (mmengine#1655), so a file in the hub cache or at the URL runs code when
    loaded. Local files go through mmengine's ``load_from_local``, which names no file when
    loading fails. Route both, and every module that imported torch's function, through
    :func:`vsgt.utils.checkpoint.load_checkpoint_file`: weights-only with the allow-list of
    :func:`checkpoint_safe_globals`, and one line naming the file when it cannot be read.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
    original = torch.hub.load_state_dict_from_url
    if original is _load_state_dict_from_url:
        return
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, '__dict__', {}).items()):
            if value is original:
                setattr(module, name, _load_state_dict_from_url)


def _cpu_distributed_init():
    """mmengine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device`` unconditionally.

    So ``--launcher pytorch`` fails on a machine without CUDA ("Found no NVIDIA driver") before
    the gloo backend is ever reached (mmengine/dist/utils.py; not reported upstream). Without
    CUDA, initialise the process group directly; with CUDA, mmengine's code runs unchanged.
    """
    from mmengine.dist import utils
    original = utils._init_dist_pytorch
    if getattr(original, '_vsgt_patched', False):
        return

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch._vsgt_patched = True
    utils._init_dist_pytorch = _init_dist_pytorch


def _cpu_slurm_init():
    """mmengine 0.10.7's ``_init_dist_slurm`` needs CUDA.

    Without ``SLURM_LOCALID`` it takes the local rank modulo ``torch.cuda.device_count()``
    (zero on a CPU node: ``ZeroDivisionError``), and it always calls ``torch.cuda.set_device``
    (mmengine/dist/utils.py; not reported upstream). Without CUDA, set the same environment
    variables (local rank from ``SLURM_LOCALID``, else 0) and initialise the process group
    directly; with CUDA, mmengine's code runs unchanged.
    """
    from mmengine.dist import utils
    original = utils._init_dist_slurm
    if getattr(original, '_vsgt_patched', False):
        return

    def _init_dist_slurm(backend, port=None, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, port=port, init_backend=init_backend, **kwargs)
        env = os.environ
        if 'MASTER_ADDR' not in env:
            env['MASTER_ADDR'] = subprocess.getoutput(
                f"scontrol show hostname {env['SLURM_NODELIST']} | head -n1")
        env['MASTER_PORT'] = str(port) if port is not None else env.get('MASTER_PORT', '29500')
        env.update(WORLD_SIZE=env['SLURM_NTASKS'], RANK=env['SLURM_PROCID'],
                   LOCAL_RANK=env.get('SLURM_LOCALID', '0'))
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_slurm._vsgt_patched = True
    utils._init_dist_slurm = _init_dist_slurm


def _atomic_checkpoints():
    """mmengine 0.10.7 writes a checkpoint in place (``LocalBackend.put`` opens the target).

    A process killed while writing leaves a truncated file under the checkpoint's name, and
    when that name existed (a re-saved iteration, a ``best`` checkpoint) the good file is lost
    (mmengine/runner/checkpoint.py ``save_checkpoint``; not reported upstream). Write local
    checkpoints to a temporary file beside the target and rename it into place, so a file of
    that name is always a complete checkpoint; other backends are unchanged. A write that fails
    (a full disk, no permission) raises one :class:`~vsgt.utils.checkpoint.CheckpointSaveError`
    naming the file and the cause; after a complete write, temporary files that a killed
    earlier save left in that folder are removed.
    """
    from mmengine.runner import checkpoint, runner
    original = checkpoint.save_checkpoint
    if getattr(original, '_vsgt_patched', False):
        return

    def save_checkpoint(state, filename, file_client_args=None, backend_args=None):
        if '://' in str(filename) or file_client_args or backend_args:
            return original(state, filename, file_client_args, backend_args)
        from vsgt.evaluation.functional.formats import atomic_write
        from vsgt.utils.checkpoint import CheckpointSaveError, remove_stale_temporaries

        def write(file):
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())

        try:
            atomic_write(str(filename), write)
        except OSError as error:
            cause = error.strerror or str(error) or type(error).__name__
            raise CheckpointSaveError(error.errno, f'cannot save checkpoint {filename}: '
                                      f'{cause}; the earlier checkpoints are kept') from None
        remove_stale_temporaries(osp.dirname(osp.abspath(str(filename))))

    save_checkpoint._vsgt_patched = True
    checkpoint.save_checkpoint = runner.save_checkpoint = save_checkpoint


class _DeferredRemoval:
    """A file backend whose ``remove``/``rmtree`` are recorded instead of done."""

    def __init__(self, backend):
        self._backend, self.removals = backend, []

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def remove(self, path):
        self.removals.append((self._backend.remove, path))

    def rmtree(self, path):
        self.removals.append((self._backend.rmtree, path))


def _remove_old_checkpoints_after_saving():
    """mmengine 0.10.7's ``CheckpointHook`` removes the oldest checkpoint *before* saving.

    With ``max_keep_ckpts=1`` a process killed during the save, or a save that fails (a full
    disk), leaves no checkpoint at all (mmengine/hooks/checkpoint_hook.py
    ``_save_checkpoint_with_step``; not reported upstream). Let the hook choose what to remove
    as before, but remove it only once the new checkpoint and ``last_checkpoint`` are written.
    """
    from mmengine.hooks import CheckpointHook
    original = CheckpointHook._save_checkpoint_with_step
    if getattr(original, '_vsgt_patched', False):
        return

    def _save_checkpoint_with_step(self, runner, step, meta):
        backend = self.file_backend
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            original(self, runner, step, meta)
        finally:
            self.file_backend = backend
        for remove, path in deferred.removals:
            if path != self.last_ckpt:
                remove(path)

    _save_checkpoint_with_step._vsgt_patched = True
    CheckpointHook._save_checkpoint_with_step = _save_checkpoint_with_step


def _named_undecodable_frames():
    """mmaction's ``RawFrameDecode`` passes ``mmcv.imfrombytes``' result on unchecked.

    A corrupt or truncated frame image decodes to None and the transform fails inside OpenCV's
    ``cvtColor`` with an assertion that names no file (no upstream issue found). When decoding
    fails, find the first frame of the clip that does not decode and raise one ``ValueError``
    naming its file, video and frame index. Frames of a clip that differ in size (which later
    fail to stack, naming nothing) are named the same way.
    """
    import cv2
    from mmaction.datasets.transforms.loading import RawFrameDecode
    original = RawFrameDecode.transform
    if getattr(original, '_vsgt_patched', False):
        return

    def frame_files(results):
        template = results['filename_tmpl']
        for index in np.asarray(results['frame_inds']).reshape(-1):
            frame = int(index) + results.get('offset', 0)
            names = ([template.format(frame)] if results.get('modality', 'RGB') == 'RGB'
                     else [template.format(axis, frame) for axis in 'xy'])
            for name in names:
                yield frame, osp.join(results['frame_dir'], name)

    def transform(self, results):
        try:
            decoded = original(self, results)
        except (cv2.error, AttributeError, TypeError, ValueError, OSError):
            for frame, path in frame_files(results):
                data = np.fromfile(path, np.uint8) if osp.isfile(path) else None
                if data is None or not data.size or \
                        cv2.imdecode(data, cv2.IMREAD_UNCHANGED) is None:
                    state = 'is missing' if data is None else 'cannot be decoded'
                    raise ValueError(f'frame file {path} {state} (video {results["frame_dir"]}, '
                                     f'frame index {frame})') from None
            raise
        images = decoded.get('imgs') or []
        sizes = [image.shape[:2] for image in images]
        if any(size != sizes[0] for size in sizes):
            (frame, path), size = next((item, size) for item, size in
                                       zip(frame_files(results), sizes) if size != sizes[0])
            raise ValueError(f'frame file {path} is {size[1]}x{size[0]}, the clip\'s first frame '
                             f'{sizes[0][1]}x{sizes[0][0]} (video {results["frame_dir"]}, frame '
                             f'index {frame})')
        return decoded

    transform._vsgt_patched = True
    RawFrameDecode.transform = transform


#: Exact start of setuptools' warning on ``import pkg_resources`` (setuptools 80).
PKG_RESOURCES_WARNING = 'pkg_resources is deprecated as an API'
#: mmengine's own deprecation notices, logged when mmaction2 1.2.0 uses its ``FileClient``.
FILE_CLIENT_NOTICES = ('"FileClient" will be deprecated in future',
                       '"HardDiskBackend" is the alias of "LocalBackend"')


def _quiet_pkg_resources_warning():
    """mmengine 0.10.7 imports and reloads ``pkg_resources`` to check installed packages.

    The setuptools of runtime.txt (>= 77, < 81) warns on that import, twice per run (the import
    and the reload; no upstream issue found). Below 81 ``pkg_resources`` still works, so exactly
    that warning is ignored; other warnings are unaffected.
    """
    warnings.filterwarnings('ignore', message=PKG_RESOURCES_WARNING, category=UserWarning)


#: Exact start of torch's warning on ``torch.jit.script`` (torch >= 2.10).
JIT_SCRIPT_WARNING = '`torch.jit.script` is deprecated'


def _quiet_fvcore_jit_warning():
    """fvcore 0.1.5 scripts its focal loss with ``torch.jit.script`` when ``fvcore.nn`` is
    imported (for the FLOP counter), and torch 2.14 warns that ``torch.jit.script`` is
    deprecated (no upstream issue found). VSGT scripts nothing, so exactly that warning is
    ignored."""
    warnings.filterwarnings('ignore', message=JIT_SCRIPT_WARNING, category=FutureWarning)


def _quiet_file_client_notices():
    """mmaction2 1.2.0's ``RawFrameDecode`` and friends still build mmengine's ``FileClient``.

    mmengine 0.10.7 then logs that ``FileClient`` and ``HardDiskBackend`` will be deprecated
    (twice per dataset; no upstream issue found), which the user cannot act on. Exactly those
    two notices are dropped; every other message of that module is logged as before.
    """
    from mmengine.fileio import file_client
    original = file_client.print_log
    if getattr(original, '_vsgt_patched', False):
        return

    def print_log(msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith(FILE_CLIENT_NOTICES):
            return
        return original(msg, *args, **kwargs)

    print_log._vsgt_patched = True
    file_client.print_log = print_log


def apply():
    """Apply every fix once (idempotent)."""
    global _applied
    if _applied:
        return
    _quiet_pkg_resources_warning()
    _quiet_fvcore_jit_warning()
    _quiet_file_client_notices()
    _stub_missing_drn()
    _skip_multimodal_models()
    _ava_ap_without_np_nan()
    _allow_mmengine_checkpoints()
    _weights_only_everywhere()
    _cpu_distributed_init()
    _cpu_slurm_init()
    _atomic_checkpoints()
    _remove_old_checkpoints_after_saving()
    _named_undecodable_frames()
    _applied = True
