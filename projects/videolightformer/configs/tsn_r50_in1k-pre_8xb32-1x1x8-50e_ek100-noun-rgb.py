# tsn_r50_in1k-pre_8xb32-1x1x8-50e_ek100-verb-rgb for EPIC-KITCHENS-100 nouns (300 classes).
_base_ = './tsn_r50_in1k-pre_8xb32-1x1x8-50e_ek100-verb-rgb.py'

num_classes = 300
ann_root = 'data/epic-kitchens-100/annotations'
model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(ann_file=f'{ann_root}/ek100_noun_train.txt', num_classes=num_classes))
val_dataloader = dict(
    dataset=dict(ann_file=f'{ann_root}/ek100_noun_val.txt', num_classes=num_classes))
test_dataloader = dict(
    dataset=dict(ann_file=f'{ann_root}/ek100_noun_val.txt', num_classes=num_classes))
