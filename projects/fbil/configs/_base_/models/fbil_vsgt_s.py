# VSGT-S (SGFormer3D 'small', stride 32, 512 channels) with FBIL at d 512 (8 heads, FFN 1024,
# depths 3 / 3 / 3, the public masks and fusion) in VSGTFastRCNN, which hands the person boxes to
# the backbone when PAE is on. A config sets the backbone's with_pae and num_classes.
_base_ = '../../../../../configs/_base_/models/vsgt_s.py'

model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=7, aligned=False, temporal_pool_mode='avg'),
        shared_head=dict(
            type='FBILHead',
            in_channels=512,
            featmap_stride=32,
            hidden_channels=512,
            num_heads=8,
            ffn_channels=1024,
            encoder_depth=3,
            fg_depth=3,
            bg_depth=3,
            dropout=0.1,
            fg_mask_ratios=(0.2, 1.0),
            bg_mask_ratios=(0.9, 0.2),
            test_mask='round',
            fusion='afa'),
        bbox_head=dict(dropout_ratio=0, in_channels=1024)))
