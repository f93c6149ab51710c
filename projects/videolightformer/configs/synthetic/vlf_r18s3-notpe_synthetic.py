# VideoLightFormer without temporal embedding: blind to frame order (the control of the
# reversal test).
_base_ = './vlf_r18s3_synthetic.py'

model = dict(cls_head=dict(temporal_pe=None))
