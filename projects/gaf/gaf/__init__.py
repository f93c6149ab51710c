"""GAF (generative attention on feature semantics) and the AFSD detector it sits on."""
from .afsd import (AFSD, AFSDBase, AFSDLocalizer, ProposalBranch, SameConv1d, assign_priors,
                   boundary_labels, boundary_ranges, boundary_regions, complement_intervals,
                   glorot_uniform_, paste_background, softmax_focal_loss)
from .distill import GAFStudent
from .fusion import TwoStreamFusion, join_stream_checkpoints
from .gaf import (GAF, GAFE2E, FeatureAttention, FeatureCVAE, GAFTraining, MapAttention, MapCVAE,
                  background_cost, gaf_init_weights, kl_to_attention, pull_scale)
from .i3d import I3D_ENDPOINTS, InceptionI3D
from .optim import GAFOptimWrapperConstructor, GAFTrainLoop
from .pooling import boundary_max_pool, max_sparse_table

__all__ = [
    'AFSD', 'AFSDBase', 'AFSDLocalizer', 'ProposalBranch', 'SameConv1d', 'assign_priors',
    'boundary_labels', 'boundary_ranges', 'boundary_regions', 'glorot_uniform_',
    'softmax_focal_loss', 'TwoStreamFusion', 'join_stream_checkpoints', 'GAF',
    'FeatureAttention', 'FeatureCVAE', 'complement_intervals', 'kl_to_attention',
    'paste_background',
    'GAFE2E', 'GAFTraining', 'MapAttention', 'MapCVAE', 'background_cost', 'gaf_init_weights',
    'pull_scale', 'GAFTrainLoop', 'I3D_ENDPOINTS', 'InceptionI3D',
    'GAFOptimWrapperConstructor', 'GAFStudent', 'boundary_max_pool', 'max_sparse_table'
]
