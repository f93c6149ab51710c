# The AFSD baseline on THUMOS14 (ActionFormer's I3D features, RGB stream: channels 0-1023): AFSD
# on features, windows of 64 steps of 0.4 s, AFSD's losses (lw 10, cw 1, piou 0.5)
# and recipe (Adam 1e-5, weight decay 1e-3, 16 epochs, batch 8 as GAF's config).
_base_ = [
    './_base_/models/afsd_thumos14.py', './_base_/datasets/thumos14_i3d_64.py',
    './_base_/schedules/adam_16e.py'
]
