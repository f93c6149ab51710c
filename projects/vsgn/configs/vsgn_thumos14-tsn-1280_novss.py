# Ablation: VSGN on THUMOS14 TSN without video self-stitching (no cut clips, nothing stitched;
# VideoSelfStitch with stitch_ratio=0 only rounds the ground truth, as the official loader does).
_base_ = './vsgn_thumos14-tsn-1280.py'

train_pipeline = [
    dict(type='LoadTALFeature'),
    dict(type='VideoSelfStitch', stitch_ratio=0.),
    dict(type='PackTALInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(type='VSGNWindowDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
