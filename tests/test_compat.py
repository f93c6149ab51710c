"""vsgt.compat: the OpenMMLab stack imports, checkpoints load safely, AVA mAP runs on numpy 2."""
import math
import pickle

import numpy as np
import pytest
import torch

import vsgt  # noqa: F401  (applies the fixes)


def test_mmaction_models_import_and_drn_explains_itself():
    import mmaction.models
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmaction.registry import MODELS
    assert MODELS.get('ResNet3dSlowOnly') is mmaction.models.ResNet3dSlowOnly
    assert MMDET_MODELS.get('AVARoIHead') is not None  # mmaction's RoI head reached mmdet
    with pytest.raises(ImportError, match='2714'):
        mmaction.models.DRN()


def _mmengine_checkpoint(path):
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub('compat-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('iter', np.int64(3))
    state = {
        'meta': {'seed': np.int64(0), 'mean': np.array([1.0, 2.0]), 'epoch': 1},
        'state_dict': {'weight': torch.arange(4.0)},
        'message_hub': hub.state_dict(),
    }
    assert isinstance(state['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    torch.save(state, path)


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    _mmengine_checkpoint(path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(loaded['state_dict']['weight'], torch.arange(4.0))
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5
    np.testing.assert_array_equal(loaded['meta']['mean'], [1.0, 2.0])


class NotAllowed:
    """A class no allow-list names."""


def test_weights_only_loading_still_refuses_other_classes(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': NotAllowed()}, path)
    with pytest.raises(pickle.UnpicklingError, match='NotAllowed'):
        torch.load(path)


def _write(path, lines):
    path.write_text(''.join(line + '\n' for line in lines))
    return str(path)


def test_ava_frame_map_with_a_class_without_ground_truth(tmp_path):
    from mmaction.evaluation import ava_eval
    labels = _write(tmp_path / 'labels.pbtxt', [
        f'item {{\n  name: "c{i}"\n  id: {i}\n}}' for i in (1, 2, 3)])
    gt = _write(tmp_path / 'gt.csv', [
        'v,0001,0.1,0.1,0.4,0.4,1,0',
        'v,0001,0.5,0.5,0.9,0.9,2,1',
        'v,0002,0.1,0.1,0.4,0.4,1,0',
    ])
    # Class 1: a true positive (0.9), a false positive (0.8), then the second GT box (0.7):
    # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> VOC AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    # Class 2: one true positive -> AP 1. Class 3 has no ground truth: left out of the mean.
    detections = _write(tmp_path / 'det.csv', [
        'v,0001,0.1,0.1,0.4,0.4,1,0.9',
        'v,0001,0.6,0.1,0.9,0.4,1,0.8',
        'v,0002,0.1,0.1,0.4,0.4,1,0.7',
        'v,0001,0.5,0.5,0.9,0.9,2,0.6',
        'v,0001,0.5,0.5,0.9,0.9,3,0.5',
    ])
    result = ava_eval(detections, 'mAP', labels, gt, None, verbose=False)
    assert math.isclose(result['overall'], (5 / 6 + 1) / 2, rel_tol=1e-6)


def test_getattr_in_a_checkpoint_resolves_only_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'state_dict': {}, 'payload': torch.Tensor.__repr__}, path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer statistics'):
        torch.load(path)


def test_exactly_the_pkg_resources_and_file_client_notices_are_quiet(capsys):
    import logging
    import warnings

    from mmengine.fileio import FileClient
    from mmengine.fileio import file_client
    from mmengine.logging import MMLogger
    from vsgt import compat
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')  # as outside pytest, which ignores UserWarnings
        compat._quiet_pkg_resources_warning()
        compat._quiet_fvcore_jit_warning()
        warnings.warn('pkg_resources is deprecated as an API. See ...', UserWarning)
        warnings.warn('`torch.jit.script` is deprecated. Please switch to ...', FutureWarning)
        warnings.warn('something else', UserWarning)
        warnings.warn('`torch.jit.script` is deprecated', UserWarning)
    assert [str(w.message) for w in caught] == ['something else',
                                                '`torch.jit.script` is deprecated']
    logger = MMLogger.get_instance('compat_notices', log_level='INFO')
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MMLogger, '_instance_dict', {'compat_notices': logger})
        FileClient('disk')
        file_client.print_log('kept', logger='current', level=logging.WARNING)
    assert messages == ['kept']


def test_frames_of_another_size_are_named(tmp_path):
    import cv2
    from mmaction.datasets.transforms import RawFrameDecode
    for index, (height, width) in enumerate([(24, 32), (24, 32), (12, 16)], 1):
        cv2.imwrite(str(tmp_path / f'img_{index:05d}.jpg'), np.zeros((height, width, 3), np.uint8))
    results = dict(frame_dir=str(tmp_path), filename_tmpl='img_{:05d}.jpg',
                   frame_inds=np.array([1, 2]), modality='RGB', offset=0)
    assert len(RawFrameDecode().transform(dict(results))['imgs']) == 2
    with pytest.raises(ValueError, match=r'img_00003.jpg is 16x12, the clip\'s first frame 32x24 '
                       r'\(video .*, frame index 3\)'):
        RawFrameDecode().transform(dict(results, frame_inds=np.array([1, 2, 3])))
