# AFSD's RGB + flow fusion on THUMOS14 (the official test.py --fusion): both streams read the
# same windows ('RGB+Flow': the RGB frames, channels 0-2, and the flow frames, 3-4, cropped
# alike); the mean of their raw outputs is decoded as one model's. Train (or convert) the RGB
# (afsd_thumos14-rgb.py) and flow (afsd_thumos14-flow.py) models, join the two checkpoints with
# projects/gaf/tools/fuse_checkpoints.py, and test this config with the joined checkpoint.
_base_ = './afsd_thumos14-rgb.py'
_stream = dict(
    type='AFSD', num_classes=20, window_size=256, crop_size=96, channels=512, num_levels=6,
    frame_channels=512, test_cfg=dict(score_thr=0.01, max_per_window=None))
model = dict(
    _delete_=True,
    type='TwoStreamFusion',
    rgb=dict(backbone=dict(type='InceptionI3D', in_channels=3), in_channels=3,
             input_range=(0, 3), **_stream),
    flow=dict(backbone=dict(type='InceptionI3D', in_channels=2), in_channels=2,
              input_range=(3, 5), **_stream))
val_dataloader = dict(dataset=dict(
    modality='RGB+Flow',
    data_prefix=dict(frames='data/thumos14/test_npy', flows='data/thumos14/test_flow_npy')))
test_dataloader = val_dataloader
