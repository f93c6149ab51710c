# VSGT-S: SGFormer3D 'small' (faithful stem and token groups; widths 64..512, out stride 32) in
# VSGTFastRCNN, which hands the clip's person boxes to the backbone for PAE. A config sets
# with_pae and the head's num_classes.
_base_ = './fast_rcnn_ava.py'

model = dict(
    type='VSGTFastRCNN',
    backbone=dict(type='mmaction.SGFormer3D', arch='small'),
    roi_head=dict(
        # RoIAlign reads each cell where the backbone's convolutions centre it (pixel 32i + 0.5)
        bbox_roi_extractor=dict(type='TokenCentredRoIExtractor3D', featmap_stride=32),
        bbox_head=dict(in_channels=512)))
