# Ablation on the synthetic TAL set: vsgn_synthetic.py without video self-stitching.
_base_ = './vsgn_synthetic.py'

train_pipeline = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(type='VSGNWindowDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
