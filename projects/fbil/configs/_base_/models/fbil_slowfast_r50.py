# mmaction2's SlowFast R50 8x8 (stride 16, 2048 + 256 channels) with FBIL as the shared head of
# mmaction's AVA RoI head, in the project's Fast R-CNN flow (VSGTFastRCNN: exactly FastRCNN for a
# backbone without PAE). The public recipe's head: 7x7 RoIAlign (aligned=False) on the
# time-averaged map, d 1024, 8 heads, FFN 2048, encoder / foreground / background depths 3 / 3 / 3,
# training masks hiding (20% of F, all of B) and (90% of F, 20% of B), actor-guided fusion; the
# actor token and the fused context (2 d) go to the classifier without dropout. A config sets
# num_classes.
_base_ = '../../../../../configs/_base_/models/slowfast_r50_ava.py'

model = dict(
    type='VSGTFastRCNN',
    # ACAR-Net's SlowFast (the public FBIL backbone) keeps res5 at stride 16 by dilating its 3x3
    # convolutions by 2 in both pathways.
    backbone=dict(slow_pathway=dict(dilations=(1, 1, 1, 2)),
                  fast_pathway=dict(dilations=(1, 1, 1, 2))),
    roi_head=dict(
        bbox_roi_extractor=dict(output_size=7, aligned=False, temporal_pool_mode='avg'),
        shared_head=dict(
            type='FBILHead',
            in_channels=2304,
            featmap_stride=16,
            hidden_channels=1024,
            num_heads=8,
            ffn_channels=2048,
            encoder_depth=3,
            fg_depth=3,
            bg_depth=3,
            dropout=0.1,
            fg_mask_ratios=(0.2, 1.0),
            bg_mask_ratios=(0.9, 0.2),
            test_mask='round',
            fusion='afa'),
        bbox_head=dict(dropout_ratio=0, in_channels=2048)))
