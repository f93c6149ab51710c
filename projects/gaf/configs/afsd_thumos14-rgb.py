# AFSD end to end on THUMOS14 RGB frames, as the official configs/thumos14.yaml: AFSD's frame
# arrays (10 fps, 112x112), windows of 256 frames every 30 for training (AFSD's split_videos)
# and every 128 for testing, random 96x96 crops + flips / centre crops, batch 1, Adam 1e-5
# (weight decay 1e-3), 16 epochs (the released RGB model is epoch 15), seed 2020; test: per
# video and class Gaussian soft-NMS sigma 0.5 over every window's candidates, scores below
# 0.001 dropped (softnms_v2); tIoU 0.3:0.1:0.7.
_base_ = [
    './_base_/models/afsd_thumos14_e2e.py', './_base_/schedules/adam_16e.py'
]
data_root = 'data/thumos14'
ann_file = f'{data_root}/annotations/thumos14.json'
modality = 'RGB'
train_frames = f'{data_root}/validation_npy'
test_frames = f'{data_root}/test_npy'
windows = dict(type='TALFrameDataset', ann_file=ann_file, modality=modality,
               frame_size=(112, 112), window_size=256)
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        data_prefix=dict(frames=train_frames),
        subset='training',
        window_stride=30,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameRandomCrop', size=96),
            dict(type='TALFrameFlip', flip_ratio=0.5),
            dict(type='PackTALFrames', pad_value=-1.)
        ],
        **windows))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_prefix=dict(frames=test_frames),
        subset='testing',
        test_mode=True,
        window_stride=128,
        pipeline=[
            dict(type='LoadTALFrames'),
            dict(type='TALFrameCenterCrop', size=96),
            dict(type='PackTALFrames', pad_value=0.)
        ],
        **windows))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='testing',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=-1,
    min_score=0.001)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best=None))
