# VideoLightFormer with the mean of all T*h*w tokens into the MLP: the frame order reaches the
# classifier only through the temporal embedding (the pooling the design note first chose).
_base_ = './vlf_r18s3_synthetic.py'

model = dict(cls_head=dict(pool='mean'))
