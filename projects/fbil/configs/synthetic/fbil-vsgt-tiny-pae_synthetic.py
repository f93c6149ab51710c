# fbil-vsgt-tiny_synthetic.py with Person Attention Enhancement in the backbone (VSGTFastRCNN
# hands it the person boxes).
_base_ = './fbil-vsgt-tiny_synthetic.py'

model = dict(backbone=dict(with_pae=True))
