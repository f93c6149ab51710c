# VideoLightFormer with the mean of all T*h*w tokens into the MLP: the frame order reaches the
# classifier only through the temporal embedding (the ablation of
# the 'frames' pooling, see the project README).
_base_ = './vlf_r18s3_synthetic.py'

model = dict(cls_head=dict(pool='mean'))
