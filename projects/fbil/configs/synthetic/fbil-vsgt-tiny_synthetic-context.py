# FBIL (the head of fbil-vsgt-tiny_synthetic.py) on the context synthetic set. The benchmark
# (projects/fbil/tools/benchmark.py) compares it with the plain head, mmaction2's ACRN and FBIL
# without the background branch on the same set.
_base_ = './vsgt-tiny_synthetic-context.py'

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
