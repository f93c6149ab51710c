# VideoLightFormer without temporal embedding. The transformer is then blind to frame order;
# only the time-ordered frame means into the MLP still see it.
_base_ = './vlf_r18s3_synthetic.py'

model = dict(cls_head=dict(temporal_pe=None))
