# MultiSports (66 classes) in the AVA layout over rawframes, a timestamp being a frame number
# (FrameAVADataset), under data/multisports/:
#   rawframes/{video}/{frame:05}.jpg         frames numbered from 00001.jpg
#   annotations/multisports_{train,val}.csv  mmaction2's AVA-layout rows (frame numbers from 1)
#   annotations/multisports_dense_proposals_{train,val}.recall_96.13.pkl   mmaction2's proposals
#   annotations/multisports_GT.pkl           the official ground truth (ACT / MultiSports pickle)
# Clips, batches and augmentation as the project's other frame-level sets.
_base_ = '../../../../../configs/_base_/datasets/frame_ava_32x2x1.py'

data_root = 'data/multisports'
anno_root = f'{data_root}/annotations'
num_classes = 66 + 1  # actions + the unused index 0 of mmaction's AVA heads

files = dict(
    data_prefix=dict(img=f'{data_root}/rawframes'),
    filename_tmpl='{:05}.jpg',
    num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{anno_root}/multisports_train.csv',
        proposal_file=f'{anno_root}/multisports_dense_proposals_train.recall_96.13.pkl',
        **files))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'{anno_root}/multisports_val.csv',
        proposal_file=f'{anno_root}/multisports_dense_proposals_val.recall_96.13.pkl',
        **files))
test_dataloader = val_dataloader

# frame-mAP@0.5 on every ground-truth frame of the val videos and video-mAP of the linked tubes
gt_file = f'{anno_root}/multisports_GT.pkl'
val_evaluator = [dict(type='FrameMAP', gt_file=gt_file), dict(type='VideoMAP', gt_file=gt_file)]
test_evaluator = val_evaluator
