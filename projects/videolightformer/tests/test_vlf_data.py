"""VideoLightFormer data: the synthetic recognition lists, ReverseFrames, the checked
RawframeDataset's one-line errors and the EPIC-KITCHENS-100 list writer."""
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import DATASETS
from mmaction.utils import register_all_modules

import vsgt_projects.videolightformer.videolightformer  # noqa: F401  (registers the modules)
from vsgt_projects.videolightformer.videolightformer import ReverseFrames
from vsgt.datasets.synthetic import SYNTHETIC_CLASSES, generate_synthetic_dataset
from vsgt.testing import load_script, run_in_process

register_all_modules()
NUM_FRAMES = 12
WALK_LEFT, WALK_RIGHT = SYNTHETIC_CLASSES.index('walk_left'), SYNTHETIC_CLASSES.index('walk_right')


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('vlf_data') / 'synthetic_rec'
    generate_synthetic_dataset(str(root), num_videos=8, num_frames=NUM_FRAMES,
                               preset='recognition', rawframe_lists=True, seed=0,
                               progress=False)
    return root


def pipeline(num_clips=4, reverse=False):
    steps = [dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_clips,
                  test_mode=True)]
    steps += [dict(type='ReverseFrames')] if reverse else []
    return steps + [dict(type='RawFrameDecode'), dict(type='FormatShape', input_format='NCHW'),
                    dict(type='PackActionInputs')]


def dataset(root, ann_file, num_clips=4, reverse=False, **options):
    return DATASETS.build(dict(
        type='CheckedRawframeDataset', ann_file=str(ann_file), num_classes=5,
        data_prefix=dict(img=str(root / 'rawframes')), pipeline=pipeline(num_clips, reverse),
        test_mode=True, **options))


def test_reverse_frames_maps_the_walks_and_keeps_the_rest():
    transform = ReverseFrames()
    for label, reversed_label in ((WALK_LEFT, WALK_RIGHT), (WALK_RIGHT, WALK_LEFT), (0, 0),
                                  (3, 3), (4, 4)):
        results = transform(dict(frame_inds=np.array([1, 4, 7, 10]), label=label))
        assert results['frame_inds'].tolist() == [10, 7, 4, 1]
        assert results['label'] == reversed_label
    assert ReverseFrames(label_map={0: 3})(dict(frame_inds=np.arange(2), label=0))['label'] == 3
    with pytest.raises(KeyError, match='after a frame sampler'):
        transform(dict(label=1))


def test_reverse_frames_with_a_probability():
    kept = ReverseFrames(prob=0.)(dict(frame_inds=np.arange(3), label=WALK_LEFT))
    assert kept['frame_inds'].tolist() == [0, 1, 2] and kept['label'] == WALK_LEFT
    np.random.seed(0)
    flipped = [ReverseFrames(prob=0.5)(dict(frame_inds=np.arange(3), label=WALK_LEFT))['label']
               == WALK_RIGHT for _ in range(200)]
    assert 70 < sum(flipped) < 130
    with pytest.raises(ValueError, match='prob'):
        ReverseFrames(prob=1.5)


def test_reversed_clip_is_the_clip_played_backwards(synthetic):
    ann = synthetic / 'annotations' / 'rawframes_train.txt'
    forward, backward = dataset(synthetic, ann), dataset(synthetic, ann, reverse=True)
    assert len(forward) == len(backward) > 0
    for index in range(len(forward)):
        clip, reversed_clip = forward[index], backward[index]
        assert reversed_clip['inputs'].flip(0).equal(clip['inputs'])
        label = clip['data_samples'].gt_label.item()
        expected = {WALK_LEFT: WALK_RIGHT, WALK_RIGHT: WALK_LEFT}.get(label, label)
        assert reversed_clip['data_samples'].gt_label.item() == expected


def test_lists_load_with_the_generated_labels(synthetic):
    ann = synthetic / 'annotations'
    rows = (ann / 'rawframes_val.txt').read_text().splitlines()
    loaded = dataset(synthetic, ann / 'rawframes_val.txt')
    infos = [loaded.get_data_info(i) for i in range(len(loaded))]
    assert [(osp.basename(info['frame_dir']), info['total_frames'], info['label'])
            for info in infos] == [(r.split()[0], NUM_FRAMES, int(r.split()[2]))
                                              for r in rows]
    walks = dataset(synthetic, ann / 'rawframes_val_walk.txt')
    assert {walks.get_data_info(i)['label'] for i in range(len(walks))} <= {WALK_LEFT,
                                                                              WALK_RIGHT}


@pytest.mark.parametrize('edit, error, fragments', [
    (lambda f: [f[0] + '_gone', *f[1:]], FileNotFoundError, ['frame folder not found', '_gone']),
    (lambda f: [f[0], f[1], '5'], ValueError, ['label 5 outside the 5 classes']),
    (lambda f: [f[0], f[1], '-1'], ValueError, ['label -1 outside']),
    (lambda f: [f[0], '3', f[2]], ValueError, ['clip of 3 frames is shorter than the 4']),
    (lambda f: [f[0], str(NUM_FRAMES + 1), f[2]], FileNotFoundError, ['last one is missing']),
    (lambda f: f[:2], ValueError, ['expected "frame_dir total_frames label"']),
    (lambda f: [f[0], 'x', f[2]], ValueError, ['integers after the folder']),
])
def test_bad_rows_give_one_line_naming_file_and_row(synthetic, tmp_path, edit, error,
                                                    fragments):
    rows = (synthetic / 'annotations' / 'rawframes_train.txt').read_text().splitlines()
    rows[1] = ' '.join(edit(rows[1].split()))
    bad = tmp_path / 'bad_list.txt'
    bad.write_text('\n'.join(rows) + '\n')
    with pytest.raises(error) as info:
        dataset(synthetic, bad)
    message = str(info.value)
    assert '\n' not in message and f'{bad} row 2' in message
    for fragment in fragments:
        assert fragment in message


def test_frames_needed_follow_the_sampler(synthetic, tmp_path):
    ann = synthetic / 'annotations' / 'rawframes_train.txt'
    assert len(dataset(synthetic, ann, num_clips=NUM_FRAMES)) > 0
    with pytest.raises(ValueError, match=f'shorter than the {NUM_FRAMES + 1} frames sampled'):
        dataset(synthetic, ann, num_clips=NUM_FRAMES + 1)
    assert len(dataset(synthetic, ann, num_clips=NUM_FRAMES + 1, min_frames=1)) > 0
    with pytest.raises(FileNotFoundError, match='list file not found'):
        dataset(synthetic, tmp_path / 'absent.txt')


def test_offsets_point_into_a_longer_video(synthetic, tmp_path):
    """EPIC-KITCHENS-100 style rows: a segment of a video's frames, ``offset`` frames in."""
    video = (synthetic / 'annotations' / 'rawframes_train.txt').read_text().split()[0]
    rows = tmp_path / 'segments.txt'
    rows.write_text(f'{video} 4 8 1\n{video} 5 8 1\n')
    with pytest.raises(FileNotFoundError, match='row 2: 8 frames listed'):
        dataset(synthetic, rows, with_offset=True)
    rows.write_text(f'{video} 4 8 1\n')
    segment = dataset(synthetic, rows, with_offset=True)[0]['inputs']
    whole = dataset(synthetic, synthetic / 'annotations' / 'rawframes_train.txt',
                    num_clips=NUM_FRAMES)[0]['inputs']
    # 4 test-mode samples of frames 5..12 are the frames 6, 8, 10, 12: indices 5, 7, 9, 11.
    assert segment.equal(whole[[5, 7, 9, 11]])


def _ek100_tool():
    return load_script('projects/videolightformer/tools/ek100_lists.py')


EK100_HEADER = ('narration_id,participant_id,video_id,narration_timestamp,start_timestamp,'
                'stop_timestamp,start_frame,stop_frame,narration,verb,verb_class,noun,'
                'noun_class,all_nouns,all_noun_classes\n')


def test_ek100_lists(tmp_path, capsys):
    tool = _ek100_tool()
    annotations = tmp_path / 'EPIC_100_train.csv'
    annotations.write_text(EK100_HEADER +
                           'P01_01_0,P01,P01_01,00:00:01.089,00:00:00.14,00:00:03.37,8,202,'
                           'open door,open,3,door,8,[\'door\'],[8]\n'
                           'P01_01_1,P01,P01_01,00:00:02.629,00:00:04.37,00:00:06.17,262,370,'
                           '"turn on light",turn-on,6,light,113,[\'light\'],[113]\n')
    out = tmp_path / 'lists' / 'ek100_noun_train.txt'
    tool.main([str(annotations), str(out), '--task', 'noun'])
    assert out.read_text() == 'P01/P01_01 7 195 8\nP01/P01_01 261 109 113\n'
    assert 'wrote 2 noun segments' in capsys.readouterr().out
    tool.main([str(annotations), str(tmp_path / 'verb.txt')])
    assert (tmp_path / 'verb.txt').read_text().split('\n')[1].endswith(' 6')

    annotations.write_text(EK100_HEADER + 'x,P01,P01_01,a,b,c,9,8,n,v,3,n,8,[],[]\n')
    code, _, err = run_in_process(capsys, tool, annotations, tmp_path / 'bad.txt')
    assert code == 1 and err.count('\n') == 1
    assert 'error: ValueError: ' in err and 'line 2: need 1 <= start_frame <= stop_frame' in err
    assert not (tmp_path / 'bad.txt').exists()
