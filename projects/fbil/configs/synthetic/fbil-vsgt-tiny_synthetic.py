# FBIL on VSGT-tiny's stage 2 (stride 8, 32 channels) with the schedule of
# configs/synthetic/vsgt-tiny_synthetic.py (1200 iterations of 2 clips): d 64, 4 heads, FFN 128,
# depths 1 / 1 / 1.
_base_ = '../../../../configs/synthetic/vsgt-tiny_synthetic.py'

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=7, aligned=False, temporal_pool_mode='avg'),
        shared_head=dict(
            type='FBILHead',
            in_channels=32,
            featmap_stride=8,
            hidden_channels=64,
            num_heads=4,
            ffn_channels=128,
            encoder_depth=1,
            fg_depth=1,
            bg_depth=1),
        bbox_head=dict(dropout_ratio=0, in_channels=128)))
