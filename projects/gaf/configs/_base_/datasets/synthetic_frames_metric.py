# The metric of the synthetic frame set (tools/data/synthetic_tal/generate_frames.py), on its
# validation videos: mAP at tIoU 0.3:0.1:0.7 after per-class soft-NMS.
data_root = 'data/synthetic_tal_frames'
ann_file = f'{data_root}/annotations.json'
# Short actions: <= 20 frames (20.5 / 10 s keeps float rounding out of the way).
val_evaluator = dict(
    type='TALDetectionMetric',
    ann_file=ann_file,
    subset='validation',
    tiou_thrs=(0.3, 0.4, 0.5, 0.6, 0.7),
    nms=dict(type='soft_nms', sigma=0.5, iou_thr=0., class_agnostic=False),
    max_per_video=-1,
    min_score=0.001,
    short_max_length=20.5 / 10)
test_evaluator = val_evaluator
