# FBIL on the small SlowOnly ResNet3d-18 of configs/synthetic/slowonly-r18_synthetic.py (stride 8,
# 128 channels), trained from scratch on a CPU with that config's schedule: d 64, 4 heads, FFN
# 128, depths 1 / 1 / 1, the public masks and fusion. Also the config of the end-to-end test.
_base_ = '../../../../configs/synthetic/slowonly-r18_synthetic.py'

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

model = dict(
    type='VSGTFastRCNN',
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=7, aligned=False, temporal_pool_mode='avg'),
        shared_head=dict(
            type='FBILHead',
            in_channels=128,
            featmap_stride=8,
            hidden_channels=64,
            num_heads=4,
            ffn_channels=128,
            encoder_depth=1,
            fg_depth=1,
            bg_depth=1),
        bbox_head=dict(dropout_ratio=0, in_channels=128)))
