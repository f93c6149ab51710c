# HIA (indoor surveillance, every person labelled; not public) in the AVA layout, a timestamp
# being a frame number (FrameAVADataset), under data/hia/ (see tools/data/hia/):
#   rawframes/{video}/img_{frame:05}.jpg    frames numbered from img_00001.jpg (the naming of
#                                           mmaction2's frame extraction)
#   annotations/{train,val}.csv             rows video_id,frame,x1,y1,x2,y2,action_id,person_id
#   annotations/hia_action_list.pbtxt       the 30 actions, ids 1..30
#   annotations/proposals_{train,val}.pkl   {"video_id,%04d": (n, 4 or 5) boxes [+ score]}
#   annotations/gt.pkl                      the ground truth as tubes (tools/data/hia/build_gt.py)
# Boxes are normalised to [0, 1]; proposals with a score are kept above 0.9 (AVADataset's default).
_base_ = './frame_ava_32x2x1.py'

data_root = 'data/hia'
anno_root = f'{data_root}/annotations'
label_file = f'{anno_root}/hia_action_list.pbtxt'
num_classes = 30 + 1  # actions + the unused index 0 of mmaction's AVA heads

files = dict(
    data_prefix=dict(img=f'{data_root}/rawframes'),
    filename_tmpl='img_{:05}.jpg',
    label_file=label_file,
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

# frame-mAP@0.5 on the frames of val.csv and video-mAP of the linked tubes (vsgt.evaluation)
gt_file = f'{anno_root}/gt.pkl'
val_evaluator = [
    dict(type='FrameMAP', gt_file=gt_file, ann_file=f'{anno_root}/val.csv'),
    dict(type='VideoMAP', gt_file=gt_file),
]
test_evaluator = val_evaluator
