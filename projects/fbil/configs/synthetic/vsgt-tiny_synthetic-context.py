# The plain AVA head (BBoxHeadAVA on the RoI features alone) of
# configs/synthetic/vsgt-tiny_synthetic.py on the context synthetic set
# (tools/data/synthetic/generate.py --context, under data/synthetic_context): the 5 motion classes
# and watch_ball, whose actors stand exactly like `stand` actors and differ only by a ball rolling
# in their lane, away from them. The other context configs start from this one.
_base_ = '../../../../configs/synthetic/vsgt-tiny_synthetic.py'

custom_imports = dict(imports=['vsgt', 'vsgt_projects.fbil.fbil'], allow_failed_imports=False)

data_root = 'data/synthetic_context'
anno_root = f'{data_root}/annotations'
num_classes = 6 + 1  # classes + the unused index 0 of mmaction's AVA heads

model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes)))

files = dict(
    data_prefix=dict(img=f'{data_root}/rawframes'),
    label_file=f'{anno_root}/action_list.pbtxt',
    num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{anno_root}/train.csv',
        proposal_file=f'{anno_root}/proposals_train.pkl',
        **files))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'{anno_root}/val.csv',
        proposal_file=f'{anno_root}/proposals_val.pkl',
        **files))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='FrameMAP', gt_file=f'{anno_root}/gt.pkl', ann_file=f'{anno_root}/val.csv'),
    dict(type='VideoMAP', gt_file=f'{anno_root}/gt.pkl'),
]
test_evaluator = val_evaluator
