# FBIL without the background branch on the context synthetic set: the actor token and the
# foreground branch (the actors' region) only.
_base_ = './fbil-vsgt-tiny_synthetic-context.py'

model = dict(roi_head=dict(shared_head=dict(with_bg=False)))
