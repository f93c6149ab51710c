# GAF's RGB + flow fusion on THUMOS14 (the official GAF test.py --fusion): the GAF RGB model
# (gaf_thumos14-rgb.py, attention on, channels 0-2) and the flow model without attention
# (gaf_thumos14-flow.py = afsd_thumos14-flow.py, channels 3-4) on 'RGB+Flow' windows; the mean of
# their raw outputs decoded as one model's, GAF's test settings (one window per batch, soft-NMS
# sigma 0.01). Join the two checkpoints with projects/gaf/tools/fuse_checkpoints.py and test this
# config with the joined checkpoint.
_base_ = './gaf_thumos14-rgb.py'
_stream = dict(
    num_classes=20, window_size=256, crop_size=96, channels=512, num_levels=6,
    frame_channels=512, test_cfg=dict(score_thr=0.01, max_per_window=None))
model = dict(
    _delete_=True,
    type='TwoStreamFusion',
    rgb=dict(type='GAFE2E', backbone=dict(type='InceptionI3D', in_channels=3), in_channels=3,
             input_range=(0, 3), attention_hidden=512, norm='batch_sum', **_stream),
    flow=dict(type='AFSD', backbone=dict(type='InceptionI3D', in_channels=2), in_channels=2,
              input_range=(3, 5), **_stream))
val_dataloader = dict(dataset=dict(
    modality='RGB+Flow',
    data_prefix=dict(frames='data/thumos14/test_npy', flows='data/thumos14/test_flow_npy')))
test_dataloader = val_dataloader
