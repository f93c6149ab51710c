"""vsgt.utils.launch: config options and clean failures of the tools."""
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.config import Config

from conftest import SYNTHETIC_CONFIG
from vsgt.utils.launch import check_option_keys, clean_failure, saved_a_checkpoint


def test_option_keys_new_arguments_of_the_target_class_are_accepted():
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    check_option_keys(cfg, {'model.backbone.with_cp': True, 'train_cfg.max_iters': 3,
                            'train_dataloader.dataset.person_det_score_thr': 0.5,
                            'default_hooks.checkpoint.max_keep_ckpts': 1,
                            'resume': True, 'custom_imports': {},
                            'optim_wrapper.paramwise_cfg.norm_decay_mult': 0.})
    # A new type brings its own arguments.
    check_option_keys(cfg, {'train_cfg.type': 'EpochBasedTrainLoop', 'train_cfg.max_epochs': 2})


@pytest.mark.parametrize('key, owner', [
    ('model.backbone.depht', 'ResNet3dSlowOnly'),
    ('model.roi_head.bbox_head.dropout', 'BBoxHeadAVA'),
    ('train_cfg.max_iter', 'IterBasedTrainLoop'),
    ('val_dataloader.dataset.ann_fle', 'FrameAVADataset'),
    ('default_hooks.checkpoint.filename_tmp', 'CheckpointHook'),
    ('optim_wrapper.optimizer.l_r', 'AdamW'),
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


def test_option_keys_a_new_top_level_key_or_test_cfg_key_is_refused():
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    with pytest.raises(KeyError, match='trian_cfg.max_iters: the config has no key "trian_cfg"'):
        check_option_keys(cfg, {'trian_cfg.max_iters': 3})
    cfg.model.test_cfg = dict(score_thr=0.1, nms_iou_thr=0.4)
    check_option_keys(cfg, {'model.test_cfg.score_thr': 0.2})
    with pytest.raises(KeyError, match='model.test_cfg.nms_thr: model.test_cfg has the keys '
                       'nms_iou_thr, score_thr; "nms_thr" is not one'):
        check_option_keys(cfg, {'model.test_cfg.nms_thr': 0.5})


def test_a_run_that_logged_training_is_kept(tmp_path):
    from vsgt.utils.launch import trained_or_saved
    with pytest.raises(RuntimeError):
        with clean_failure(str(tmp_path), keep_if=trained_or_saved):
            (tmp_path / 'run').mkdir()
            (tmp_path / 'run' / 'run.log').write_text('Iter(train) [1/4]  loss: 0.5\n')
            raise RuntimeError('boom')
    assert (tmp_path / 'run' / 'run.log').is_file()


def test_resume_from_a_copied_work_dir(tmp_path, capsys):
    from vsgt.utils.launch import checkpoint_to_resume
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    copy.mkdir()
    (copy / 'last_checkpoint').write_text(str(original / 'epoch_3.pth'))
    with pytest.raises(FileNotFoundError, match='outside the work dir .*no epoch_3.pth'):
        checkpoint_to_resume(str(copy))
    (copy / 'epoch_3.pth').write_bytes(b'')
    assert checkpoint_to_resume(str(copy)) == str(copy / 'epoch_3.pth')
    assert 'outside the work dir: resuming from' in capsys.readouterr().err
    (copy / 'last_checkpoint').write_text(str(copy / 'epoch_3.pth'))
    assert checkpoint_to_resume(str(copy)) == str(copy / 'epoch_3.pth')
    assert checkpoint_to_resume(str(tmp_path)) is None


def test_num_classes_smaller_than_the_data_needs(tmp_path):
    from mmengine.dataset import BaseDataset

    from vsgt.utils.launch import check_num_classes

    class Labelled(BaseDataset):
        METAINFO = dict(classes=('a', 'b', 'c', 'd'))

        def load_data_list(self):
            return [dict(gt_labels=np.array([0, 1])), dict(gt_labels=np.array([3]))]

    data = Labelled(ann_file='ann.json', lazy_init=False)
    check_num_classes(SimpleNamespace(num_classes=4), data)
    with pytest.raises(ValueError, match=r"model.num_classes=3, but .*ann.json has the label "
                       r"index 3 \('d'\); the data has 4 classes"):
        check_num_classes(SimpleNamespace(num_classes=3), data)


def test_run_cli_destroys_the_process_group_on_the_way_out(tmp_path):
    """A group left to the interpreter's shutdown can abort a distributed run at its very end."""
    import torch.distributed as dist
    from vsgt.utils.launch import run_cli

    def main(argv):
        dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0,
                                world_size=1)
        raise ValueError('bad input')

    with pytest.raises(SystemExit):
        run_cli(main, [])
    assert not dist.is_initialized()


def test_run_cli_waits_for_every_rank_before_closing_after_a_good_run(tmp_path, monkeypatch):
    import torch.distributed as dist
    from vsgt.utils.launch import run_cli
    calls = []
    monkeypatch.setattr(dist, 'barrier', lambda *args, **kwargs: calls.append('barrier'))

    def main(argv):
        dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0,
                                world_size=1)

    run_cli(main, [])
    assert calls == ['barrier'] and not dist.is_initialized()
    calls.clear()

    def failing(argv):
        main(argv)
        raise ValueError('bad input')

    with pytest.raises(SystemExit):  # a failed rank must not wait for the others
        run_cli(failing, [])
    assert calls == [] and not dist.is_initialized()
