from .vsgt_fast_rcnn import VSGTFastRCNN

__all__ = ['VSGTFastRCNN']
