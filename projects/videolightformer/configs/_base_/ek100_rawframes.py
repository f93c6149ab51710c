# EPIC-KITCHENS-100 as RawframeDataset lists (tools/ek100_lists.py writes them from the official
# EPIC_100_train.csv / EPIC_100_validation.csv): rows `P01/P01_01 offset num_frames label`, the
# segment's frames frame_{offset+1:010d}.jpg ... in rgb_frames/P01/P01_01/. Verbs by default
# (97 classes); the noun configs change num_classes and the lists. Pipeline of mmaction2's TSM
# SSv2 config with frames instead of videos and no flip label map.
dataset_type = 'CheckedRawframeDataset'
data_root = 'data/epic-kitchens-100'
task = 'verb'
num_classes = 97
ann_file_train = f'{data_root}/annotations/ek100_{task}_train.txt'
ann_file_val = f'{data_root}/annotations/ek100_{task}_val.txt'
num_segments = 8

train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66),
         random_crop=False, max_wh_scale_gap=1, num_fixed_crops=13),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments,
         twice_sample=True, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='ThreeCrop', crop_size=256),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
dataset_common = dict(
    type=dataset_type, data_prefix=dict(img=f'{data_root}/rgb_frames'), with_offset=True,
    filename_tmpl='frame_{:010d}.jpg', num_classes=num_classes)
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(ann_file=ann_file_train, pipeline=train_pipeline, **dataset_common))
val_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(ann_file=ann_file_val, pipeline=val_pipeline, test_mode=True,
                 **dataset_common))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(ann_file=ann_file_val, pipeline=test_pipeline, test_mode=True,
                 **dataset_common))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
