# A micro Video Swin (mmaction2's SwinTransformer3D: patch 2x4x4, window 8x7x7, shifted windows)
# in place of VSGT-tiny's backbone, everything else the tiny config's: two stages of widths 16 and
# 32, the RoI head on stage 2 (stride 8, 32 channels) as VSGT-tiny's. The Video Swin row of
# tools/analysis/benchmark_detectors.py.
_base_ = './vsgt-tiny_synthetic.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmaction.SwinTransformer3D',
        arch=dict(embed_dims=16, depths=(2, 2), num_heads=(2, 2)),
        pretrained=None,
        pretrained2d=False,
        patch_size=(2, 4, 4),
        window_size=(8, 7, 7),
        drop_path_rate=0.0,
        out_indices=(1, )))
