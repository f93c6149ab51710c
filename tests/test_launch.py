"""vsgt.utils.launch: config options and clean failures of the tools."""
import pytest
from mmengine.config import Config

from conftest import SYNTHETIC_CONFIG
from vsgt.utils.launch import check_option_keys, clean_failure, saved_a_checkpoint


def test_option_keys_new_arguments_of_the_target_class_are_accepted():
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    check_option_keys(cfg, {'model.backbone.with_cp': True, 'train_cfg.max_iters': 3,
                            'train_dataloader.dataset.person_det_score_thr': 0.5,
                            'new_top_level_key': 1})


@pytest.mark.parametrize('key, owner', [
    ('model.backbone.depht', 'ResNet3dSlowOnly'),
    ('model.roi_head.bbox_head.dropout', 'BBoxHeadAVA'),
    ('train_cfg.max_iter', 'IterBasedTrainLoop'),
    ('val_dataloader.dataset.ann_fle', 'FrameAVADataset'),
])
def test_option_keys_unknown_arguments_are_refused_by_name(key, owner):
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    with pytest.raises(KeyError, match=f'{key}: {owner} takes no argument'):
        check_option_keys(cfg, {key: 1})


def test_clean_failure_removes_only_what_the_run_created(tmp_path):
    (tmp_path / 'old.log').write_text('kept')
    with pytest.raises(RuntimeError):
        with clean_failure(str(tmp_path)):
            (tmp_path / '20260101_000000').mkdir()
            (tmp_path / 'config.py').write_text('')
            raise RuntimeError('boom')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['old.log']


@pytest.mark.parametrize('files, kept', [(['iter_2.pth', 'last_checkpoint'], True),
                                          (['20260101_000000.log'], False)])
def test_a_failed_training_run_is_kept_once_it_saved_a_checkpoint(tmp_path, files, kept):
    with pytest.raises(RuntimeError):
        with clean_failure(str(tmp_path), keep_if=saved_a_checkpoint):
            for name in files:
                (tmp_path / name).write_text('')
            raise RuntimeError('boom')
    assert sorted(p.name for p in tmp_path.iterdir()) == (sorted(files) if kept else [])


def test_option_keys_into_a_list_need_an_index():
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    with pytest.raises(KeyError, match='test_evaluator is a list of 2 items'):
        check_option_keys(cfg, {'test_evaluator.ann_file': 'x.csv'})
    check_option_keys(cfg, {'test_evaluator.0.ann_file': 'x.csv'})
