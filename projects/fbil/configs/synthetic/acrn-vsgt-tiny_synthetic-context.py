# mmaction2's ACRN head (the actor feature tiled over the clip map, 1x1 and 3x3 convolutions) on
# the context synthetic set, set up as mmaction2's ACRN AVA config (8x8 RoIAlign, temporal max
# pooling, output width = backbone width).
_base_ = './vsgt-tiny_synthetic-context.py'

model = dict(
    roi_head=dict(
        shared_head=dict(type='ACRNHead', in_channels=64, out_channels=32),
        bbox_head=dict(in_channels=32)))
