# JHMDB-21 (split 1 of 3; "val" is the split's test videos) in the AVA layout, a timestamp being a
# frame number (FrameAVADataset), under data/jhmdb21/, made from JHMDB-GT.pkl by
# tools/data/ucf101_24/ (`--dataset jhmdb21 --split 1`):
#   rawframes/{video}/{frame:05}.jpg        frames numbered from 00001.jpg (video e.g.
#                                           brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_0)
#   annotations/{train,val}.csv             rows video_id,frame,x1,y1,x2,y2,action_id,person_id
#   annotations/jhmdb21_action_list.pbtxt   the 21 actions, ids 1..21
#   annotations/proposals_{train,val}.pkl   {"video_id,%04d": (n, 4 or 5) boxes [+ score]}
#   JHMDB-GT.pkl                            the ACT ground truth (labels, gttubes, nframes, ...)
# Other splits: build the annotations with --split N and set the evaluators' split=N.
_base_ = './frame_ava_32x2x1.py'

data_root = 'data/jhmdb21'
anno_root = f'{data_root}/annotations'
label_file = f'{anno_root}/jhmdb21_action_list.pbtxt'
num_classes = 21 + 1  # actions + the unused index 0 of mmaction's AVA heads

files = dict(
    data_prefix=dict(img=f'{data_root}/rawframes'),
    filename_tmpl='{:05}.jpg',
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
gt_file = f'{data_root}/JHMDB-GT.pkl'
val_evaluator = [
    dict(type='FrameMAP', gt_file=gt_file, ann_file=f'{anno_root}/val.csv', split=1),
    dict(type='VideoMAP', gt_file=gt_file, split=1),
]
test_evaluator = val_evaluator
