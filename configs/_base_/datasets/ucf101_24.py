# UCF101-24 (split 1; "val" is its 910 test videos) in the AVA layout, a timestamp being a frame
# number (FrameAVADataset), under data/ucf101_24/ (see tools/data/ucf101_24/):
#   rawframes/{video}/{frame:05}.jpg        the standard release's frames, numbered from 00001.jpg
#                                           (video e.g. Basketball/v_Basketball_g01_c01)
#   annotations/{train,val}.csv             rows video_id,frame,x1,y1,x2,y2,action_id,person_id
#   annotations/ucf101_24_action_list.pbtxt the 24 actions, ids 1..24
#   annotations/proposals_{train,val}.pkl   {"video_id,%04d": (n, 4 or 5) boxes [+ score]}
#   UCF101v2-GT.pkl                         the ACT ground truth (labels, gttubes, nframes, ...)
# Boxes are normalised to [0, 1]; proposals with a score are kept above 0.9 (AVADataset's default).
_base_ = './frame_ava_32x2x1.py'

data_root = 'data/ucf101_24'
anno_root = f'{data_root}/annotations'
label_file = f'{anno_root}/ucf101_24_action_list.pbtxt'
num_classes = 24 + 1  # actions + the unused index 0 of mmaction's AVA heads

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
gt_file = f'{data_root}/UCF101v2-GT.pkl'
val_evaluator = [
    dict(type='FrameMAP', gt_file=gt_file, ann_file=f'{anno_root}/val.csv'),
    dict(type='VideoMAP', gt_file=gt_file),
]
test_evaluator = val_evaluator
