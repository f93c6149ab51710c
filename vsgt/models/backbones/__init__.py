from .pae import (PersonAttentionEnhancement, box_coverage, guide_significance,
                  person_box_masks)
from .sgformer3d import SGFormer3D

__all__ = [
    'SGFormer3D', 'PersonAttentionEnhancement', 'box_coverage', 'guide_significance',
    'person_box_masks'
]
