"""The distillation student (knowledge distillation on features): a narrower GAF that learns the
attention of a trained, frozen GAF teacher on the same features."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

from vsgt.utils.checkpoint import check_checkpoint_fits, read_state_dict
from .afsd import Outputs
from .gaf import GAF


@MODELS.register_module()
class GAFStudent(GAF):
    """A GAF student trained with its own losses plus, in pass B, ``kd_weight x MSE(l_student,
    l_teacher)`` (GKD's beta, 1000) and optionally ``kd_logit_weight x MSE`` of the coarse and
    refined class logits, and in pass A ``kd_rec_weight x MSE`` of its CVAE's reconstruction to
    the teacher's (GKD's 0.01; the teacher decodes its posterior mean), against a frozen GAF
    ``teacher`` on the same windows.

    The teacher's weights come from ``teacher_checkpoint`` in :meth:`init_weights` (training);
    the student's checkpoints hold them too, so testing needs no teacher file.

    Args:
        teacher: the teacher's model config (a GAF with ``with_gaf=True``, same input, window
            and classes).
        teacher_checkpoint: the trained teacher's checkpoint.
        kd_weight: weight of the attention distillation.
        kd_logit_weight: weight of the logit distillation (0: off).
        kd_rec_weight: weight of the reconstruction distillation of pass A (0: off).
        **kwargs: :class:`GAF` arguments of the student.
    """

    not_detector = GAF.not_detector + ('teacher', )

    def __init__(self, *args, teacher: Dict, teacher_checkpoint: Optional[str] = None,
                 kd_weight: float = 1000., kd_logit_weight: float = 0.,
                 kd_rec_weight: float = 0.01, **kwargs):
        super().__init__(*args, **kwargs)
        self.teacher = MODELS.build(teacher)
        if not (isinstance(self.teacher, GAF) and self.teacher.with_gaf and self.with_gaf):
            raise ValueError('GAFStudent: the student and its teacher must be GAF models with '
                             'with_gaf=True')
        for key in ('in_channels', 'input_range', 'window_size', 'num_classes', 'num_levels'):
            if getattr(self.teacher, key) != getattr(self, key):
                raise ValueError(f'GAFStudent: the teacher\'s {key} is '
                                 f'{getattr(self.teacher, key)}, the student\'s '
                                 f'{getattr(self, key)}')
        self.teacher.requires_grad_(False)
        self.teacher_checkpoint = teacher_checkpoint
        self.kd_weight, self.kd_logit_weight = kd_weight, kd_logit_weight
        self.kd_rec_weight = kd_rec_weight

    def init_weights(self) -> None:
        """Initialise the student; load the teacher (one-line error if it does not fit)."""
        super().init_weights()
        if self.teacher_checkpoint is not None:
            weights = read_state_dict(self.teacher_checkpoint)
            check_checkpoint_fits(self.teacher, weights, self.teacher_checkpoint)
            self.teacher.load_state_dict(weights)

    def train(self, mode: bool = True) -> 'GAFStudent':
        super().train(mode)
        self.teacher.eval()
        return self

    def cvae_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        losses, rebuilt, mask = self.cvae_pass(x, data_samples)
        if self.kd_rec_weight:
            teacher = self.teacher
            with torch.no_grad():
                feature = teacher._rows(x, mask)
                attention = teacher._rows(teacher.attention(x), mask)
                mu, _ = teacher.cvae.encode(feature, attention)
                target = teacher.cvae.decode(mu, attention)
            losses['loss_kd_rec'] = self.kd_rec_weight * F.mse_loss(rebuilt, target)
        return losses

    def detector_pass(self, x: torch.Tensor, data_samples: List
                      ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, Outputs]:
        losses, attention, outputs = super().detector_pass(x, data_samples)
        with torch.no_grad():
            teacher_attention = self.teacher.attention(x)
        losses['loss_kd_attention'] = self.kd_weight * F.mse_loss(attention, teacher_attention)
        if self.kd_logit_weight:
            mask = self._valid_mask(x, self._valid_steps(data_samples))
            with torch.no_grad():
                teacher_outputs = self.teacher.detect(
                    self.teacher.foreground(x, teacher_attention, mask))
            losses['loss_kd_logits'] = self.kd_logit_weight * sum(
                F.mse_loss(outputs[key], teacher_outputs[key])
                for key in ('logits', 'prop_logits'))
        return losses, attention, outputs
