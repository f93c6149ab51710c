# GAF's flow model on THUMOS14 (channels 1024-2047 of ActionFormer's I3D features). In the official
# RGB + flow fusion the flow network runs without the attention, so this is the AFSD detector
# (with_gaf=False: no attention, no CVAE, one optimizer), trained with `--lw=10 --cw=1 --piou=0.5`.
_base_ = './afsd_thumos14-i3d.py'

model = dict(type='GAF', with_gaf=False, input_range=(1024, 2048))
