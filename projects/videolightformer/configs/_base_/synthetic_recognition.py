# The synthetic set as a recognition task (tools/data/synthetic, `--preset recognition
# --rawframe-lists`): one actor, 22 px tall, per 40-frame 64x48 clip, its motion class 0-4 the
# clip's label. T = 8 frames, one per segment in time order (TSN sampling), read at their size.
# No flip and no crop: a flip turns walk_left into walk_right. From-scratch CPU schedule:
# AdamW, iteration-based, an infinite sampler (mmengine's iteration loop sleeps 2 s at every end
# of a DefaultSampler epoch).
_base_ = '../../../../configs/_base_/schedules/adamw_cosine_300i_cpu.py'

custom_imports = dict(
    imports=['vsgt', 'vsgt_projects.videolightformer.videolightformer'], allow_failed_imports=False)

num_classes = 5
num_segments = 8
frame_size = (64, 48)  # (width, height) of the preset's frames
dataset_type = 'CheckedRawframeDataset'
data_root = 'data/synthetic_rec'
ann_root = f'{data_root}/annotations'

train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments),
    dict(type='RawFrameDecode'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
# The val walk clips played backwards, labels swapped (walk_left <-> walk_right).
reversed_pipeline = val_pipeline[:1] + [dict(type='ReverseFrames')] + val_pipeline[1:]

dataset_common = dict(
    type=dataset_type, data_prefix=dict(img=f'{data_root}/rawframes'), num_classes=num_classes)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(ann_file=f'{ann_root}/rawframes_train.txt', pipeline=train_pipeline,
                 **dataset_common))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(ann_file=f'{ann_root}/rawframes_val.txt', pipeline=val_pipeline,
                 test_mode=True, **dataset_common))
test_dataloader = val_dataloader
# Reversal pairs: each val walk clip and its time-reversed copy with the label swapped. A model
# blind to frame order gives both clips of a pair one prediction, so it scores at most 0.5 on
# them. tools/benchmark.py puts it in place of the test set.
reversal_pairs = dict(
    type='ConcatDataset',
    datasets=[
        dict(ann_file=f'{ann_root}/rawframes_val_walk.txt', pipeline=pipeline, test_mode=True,
             **dataset_common) for pipeline in (val_pipeline, reversed_pipeline)
    ])

val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
test_evaluator = val_evaluator
