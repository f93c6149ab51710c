# VSGN on THUMOS14 as released (faithful): two-stream TSN features, windows of 1280 steps every
# 320 with the tail windows, VSS (clips of 486 steps, stitch <= 512 with a 30-step gap), xGPN,
# fixed-IoU assignment, Adam 5e-5 for 10 epochs, batch 32. The released checkpoint loads after
# projects/vsgn/tools/convert_official_checkpoint.py (see the project README).
_base_ = [
    './_base_/models/vsgn_thumos14.py', './_base_/datasets/thumos14_tsn_1280.py',
    './_base_/schedules/adam_10e.py'
]
