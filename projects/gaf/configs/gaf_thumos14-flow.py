# GAF's flow stream on THUMOS14, end to end. The official RGB + flow fusion (test.py --fusion)
# runs the flow network without the attention, and GAF's configs/thumos14_flow.yaml is AFSD's
# flow recipe (batch 1, Adam 1e-5, weight decay 1e-3, 16 epochs, soft-NMS sigma 0.5), so this is
# afsd_thumos14-flow.py.
_base_ = './afsd_thumos14-flow.py'
