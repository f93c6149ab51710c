# THUMOS14 with VSGN's two-stream TSN features (RGB || flow, 2048-d, one step per frame, converted
# from the release's HDF5 files to tsn_features/{video}.npy by
# projects/vsgn/tools/convert_hdf5_features.py; feature_rate=None takes num_steps / duration, the
# video's fps). Windows of 1280 steps at every multiple of 320 below the video's length
# (VSGNWindowDataset, the official tiling: the tail windows are shorter, and stitched when <= 512
# steps); training keeps windows holding >= 1 whole action, plus the clips VSS cuts from them
# (VSSCutDataset). Annotations from tools/data/thumos14/convert_annotations.py: the validation
# videos are the 'training' subset, the test videos 'testing'.
data_root = 'data/thumos14'
ann_file = f'{data_root}/annotations/thumos14.json'
window_size = 1280
stitch = dict(type='VideoSelfStitch', stitch_ratio=0.4, gap=30)
windows = dict(
    ann_file=ann_file,
    data_prefix=dict(feature=f'{data_root}/tsn_features'),
    feature_rate=None,
    feature_dim=2048,
    window_size=window_size,
    window_stride=window_size // 4)
train_pipeline = [
    dict(type='LoadTALFeature'), stitch, dict(type='PackTALInputs', meta_keys=('stitch', ))
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VSSCutDataset', subset='training', pipeline=train_pipeline, **windows))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VSGNWindowDataset', subset='testing', pipeline=test_pipeline,
                 test_mode=True, **windows))
test_dataloader = val_dataloader
# Per video: Gaussian soft-NMS exp(-IoU^2 / 0.46), class-agnostic, detections of >= 50 s
# dropped, top 200; mAP at tIoU 0.3:0.1:0.7.
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='testing',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.46, iou_thr=0., class_agnostic=True),
    max_per_video=200,
    max_duration=50.)
test_evaluator = val_evaluator
