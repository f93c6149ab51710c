from .backbones import PersonAttentionEnhancement, SGFormer3D
from .detectors import VSGTFastRCNN
from .roi_extractors import TokenCentredRoIExtractor3D
from .weights import (InflateSGFormer2DInit, PretrainedBackboneInit, inflate_sgformer_2d,
                      load_pretrained_backbone, load_sgformer_2d)

__all__ = [
    'SGFormer3D', 'PersonAttentionEnhancement', 'VSGTFastRCNN', 'TokenCentredRoIExtractor3D',
    'InflateSGFormer2DInit', 'PretrainedBackboneInit', 'inflate_sgformer_2d',
    'load_pretrained_backbone', 'load_sgformer_2d'
]
