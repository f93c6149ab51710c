"""mmaction2's AVA dataset with its proposals read safely."""
from mmaction.datasets import AVADataset
from mmaction.registry import DATASETS

from vsgt.utils.safe_pickle import safe_load


@DATASETS.register_module()
class SafeAVADataset(AVADataset):
    """:class:`mmaction.datasets.AVADataset` whose ``proposal_file`` is loaded with
    :func:`vsgt.utils.safe_pickle.safe_load` (builtin and numpy types only: the pickle cannot
    run code) instead of ``pickle.load``; everything else is ``AVADataset``'s.

    Args:
        proposal_file: Proposals pickle ``{"video_id,%04d": (n, 4 or 5) array}`` (boxes
            normalised, optional score). Defaults to None.
        **kwargs: ``AVADataset`` arguments.
    """

    def __init__(self, *args, proposal_file: str = None, **kwargs) -> None:
        proposals = None
        if proposal_file is not None:
            proposals = safe_load(proposal_file, 'proposal file')
            if not isinstance(proposals, dict):
                raise ValueError(f'{proposal_file}: expected a dict "video_id,timestamp" -> '
                                 f'array, got {type(proposals).__name__}')
        super().__init__(*args, proposal_file=None, **kwargs)
        self.proposal_file = proposal_file
        self.proposals = proposals
