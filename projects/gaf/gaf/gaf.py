"""GAF: generative attention on feature semantics, on the AFSD detector."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict

from .afsd import AFSDLocalizer, Outputs, complement_intervals

NORMS = ('mean', 'batch_sum')


class FeatureAttention(nn.Module):
    """One attention value in [0, 1] per feature dimension and step.

    ``(B, C, T)`` -> 1x1 conv to ``hidden`` (GAF's space-collapsing Conv3d on I3D maps) ->
    time resampled (nearest) to ``length`` -> Conv1d(hidden -> C, k3) + GN + ReLU (mixes the
    feature dimensions: intra) -> Linear(length -> T) along that axis (mixes all steps: inter)
    -> sigmoid.

    Args:
        in_channels: ``C``.
        window_size: ``T``.
        hidden: width after the first conv (GAF: 512).
        length: the resampled time length (GAF: ``C``). Defaults to ``C``.
        norm_groups: GroupNorm groups.
    """

    def __init__(self, in_channels: int, window_size: int, hidden: int = 512,
                 length: Optional[int] = None, norm_groups: int = 32):
        super().__init__()
        self.length = length or in_channels
        self.project = nn.Conv1d(in_channels, hidden, 1)
        self.mix = nn.Sequential(
            nn.Conv1d(hidden, in_channels, 3, padding=1), nn.GroupNorm(norm_groups, in_channels),
            nn.ReLU(inplace=True))
        self.temporal = nn.Linear(self.length, window_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.interpolate(self.project(x), size=self.length, mode='nearest')
        return torch.sigmoid(self.temporal(self.mix(hidden)))


def _mlp(in_features: int, hidden: int, out_features: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out_features))


class FeatureCVAE(nn.Module):
    """Per-step conditional VAE of the features given the attention.

    Encoder ``[F_t; l_t]`` -> (mu, log s^2), prior ``N(l_t, I)``; decoder ``[z; l_t]`` -> F_t;
    three fully connected layers each, width ``hidden`` (GAF: ``C``).
    """

    def __init__(self, in_channels: int, hidden: Optional[int] = None):
        super().__init__()
        hidden = hidden or in_channels
        self.encoder = _mlp(2 * in_channels, hidden, 2 * in_channels)
        self.decoder = _mlp(2 * in_channels, hidden, in_channels)

    def encode(self, feature: torch.Tensor, attention: torch.Tensor
               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(n, C)`` rows -> ``mu``, ``log s^2`` ``(n, C)``."""
        return self.encoder(torch.cat([feature, attention], -1)).chunk(2, -1)

    def decode(self, z: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([z, attention], -1))


def kl_to_attention(mu: torch.Tensor, log_var: torch.Tensor,
                    attention: torch.Tensor) -> torch.Tensor:
    """Mean over elements of ``KL(N(mu, s^2) || N(l, 1))``."""
    return 0.5 * (log_var.exp() + (mu - attention)**2 - 1 - log_var).mean()


@MODELS.register_module()
class GAF(AFSDLocalizer):
    """GAF (generative attention model-based feature semantics) on an AFSD detector.

    An attention ``l`` (:class:`FeatureAttention`) weighs the input features: the detector
    runs on ``F_fg = F l / n(l)`` with the ground truth and on ``F_bg = F (1 - l) / n(1 - l)``
    with the gaps between the actions as background (every prior says background; priors in a
    gap regress it), ``n`` the mean of the weights per window (``norm='mean'``) or their sum
    over the batch tensor (``'batch_sum'``, the official code). A conditional VAE
    (:class:`FeatureCVAE`) learns to rebuild ``F`` from ``l``. Training alternates, at every
    iteration, pass A (the CVAE's optimizer: ``MSE + kl_weight x KL``, attention detached) and
    pass B (the detector's optimizer: ``L_fg + bg_weight x L_bg + pull`` (+ AFSD's triplet loss
    on the attended augmented windows), where the generative
    pull ``pull_weight x min(i, pull_warmup) / pull_warmup x mean((D(l + eps, l) - F)^2)``,
    ``eps ~ N(0, I)``, reaches ``l`` through the frozen decoder). Test: the detector on
    ``F_fg``. ``with_gaf=False`` is :class:`AFSDLocalizer` (no attention, no CVAE).

    The optimizers come from :class:`GAFOptimWrapperConstructor` (keys ``detector``, ``cvae``).

    Args:
        with_gaf: attention, background pass and CVAE on.
        attention: :class:`FeatureAttention` arguments (``hidden``, ``length``).
        cvae_hidden: CVAE width. Defaults to the input width.
        norm: ``'mean'`` or ``'batch_sum'``.
        bg_weight: weight of the background pass (GAF: 35 on THUMOS14, 700 on ActivityNet).
        kl_weight: weight of the KL term of the CVAE loss.
        pull_weight, pull_warmup: the generative pull's weight and warm-up (iterations).
        **kwargs: :class:`AFSDLocalizer` arguments.
    """

    #: Child modules the detector's optimizer leaves alone.
    not_detector = ('cvae', 'data_preprocessor')

    def __init__(self,
                 *args,
                 with_gaf: bool = True,
                 attention: Optional[Dict] = None,
                 cvae_hidden: Optional[int] = None,
                 norm: str = 'mean',
                 bg_weight: float = 35.,
                 kl_weight: float = 0.1,
                 pull_weight: float = 0.5,
                 pull_warmup: int = 1000,
                 **kwargs):
        super().__init__(*args, **kwargs)
        if norm not in NORMS:
            raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
        self.with_gaf, self.norm = with_gaf, norm
        self.bg_weight, self.kl_weight = bg_weight, kl_weight
        self.pull_weight, self.pull_warmup = pull_weight, pull_warmup
        if with_gaf:
            groups = kwargs.get('norm_groups', 32)
            self.attention = FeatureAttention(self.in_channels, self.window_size,
                                              norm_groups=groups, **(attention or {}))
            self.cvae = FeatureCVAE(self.in_channels, cvae_hidden)

    def optim_parts(self) -> Dict[str, nn.Module]:
        """The modules of each optimizer: ``cvae`` and the rest (``detector``)."""
        if not self.with_gaf:
            raise ValueError('GAF with with_gaf=False has one optimizer; use a plain '
                             'optim_wrapper, not GAFOptimWrapperConstructor')
        detector = nn.ModuleDict({name: module for name, module in self.named_children()
                                  if name not in self.not_detector})
        detector.register_parameter('loc_scales', self.loc_scales)
        return dict(detector=detector, cvae=self.cvae)

    def _normalise(self, weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.norm == 'batch_sum':
            return (weights * mask).sum().clamp(min=1e-6)
        count = mask.sum((1, 2), keepdim=True).clamp(min=1) * weights.shape[1]
        return ((weights * mask).sum((1, 2), keepdim=True) / count).clamp(min=1e-6)

    def _valid_mask(self, x: torch.Tensor, num_valid: Optional[List[int]]) -> torch.Tensor:
        steps = torch.arange(self.window_size, device=x.device)
        if num_valid is None:
            return torch.ones_like(x[:, :1])
        return (steps[None] < torch.tensor(num_valid, device=x.device)[:, None])[:, None].to(x)

    def foreground(self, x: torch.Tensor, attention: torch.Tensor,
                   mask: torch.Tensor) -> torch.Tensor:
        """``F_fg``; ``mask`` ``(B, 1, T)`` marks the valid steps."""
        return x * attention / self._normalise(attention, mask)

    def background(self, x: torch.Tensor, attention: torch.Tensor,
                   mask: torch.Tensor) -> torch.Tensor:
        """``F_bg``; ``mask`` ``(B, 1, T)`` marks the valid steps."""
        return x * (1 - attention) / self._normalise(1 - attention, mask)

    def forward(self, inputs, data_samples: Optional[List] = None, mode: str = 'tensor'):
        """As :meth:`AFSDLocalizer.forward`; with GAF the detector sees ``F_fg`` and
        ``mode='loss'`` gives the losses of both passes."""
        if self.with_gaf and mode == 'loss':
            x = self.select_inputs(inputs)
            return dict(self.cvae_loss(x, data_samples), **self.detector_loss(x, data_samples))
        return super().forward(inputs, data_samples, mode)

    def detector_input(self, x: torch.Tensor, num_valid: Optional[List[int]]) -> torch.Tensor:
        """``F_fg`` (the features themselves with ``with_gaf=False``)."""
        if not self.with_gaf:
            return x
        return self.foreground(x, self.attention(x), self._valid_mask(x, num_valid))

    def _rows(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The valid steps of ``(B, C, T)`` as ``(n, C)`` rows."""
        return x.transpose(1, 2)[mask[:, 0].bool()]

    def cvae_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Pass A: rebuild the features from the (detached) attention."""
        return self.cvae_pass(x, data_samples)[0]

    def cvae_pass(self, x: torch.Tensor, data_samples: List
                  ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        """Pass A's losses, the rebuilt valid steps ``(n, C)`` and the valid-step mask."""
        mask = self._valid_mask(x, self._valid_steps(data_samples))
        with torch.no_grad():
            attention = self.attention(x)
        feature, attention = self._rows(x, mask), self._rows(attention, mask)
        mu, log_var = self.cvae.encode(feature, attention)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        rebuilt = self.cvae.decode(z, attention)
        losses = dict(loss_cvae_rec=F.mse_loss(rebuilt, feature),
                      loss_cvae_kl=self.kl_weight * kl_to_attention(mu, log_var, attention))
        return losses, rebuilt, mask

    def _pull_scale(self) -> float:
        if self.pull_warmup <= 0:
            return self.pull_weight
        step = MessageHub.get_current_instance().get_info('iter', 0)
        return self.pull_weight * min(step, self.pull_warmup) / self.pull_warmup

    def detector_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Pass B: foreground and background passes and the generative pull."""
        return self.detector_pass(x, data_samples)[0]

    def detector_pass(self, x: torch.Tensor, data_samples: List
                      ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, Outputs]:
        """Pass B's losses, the attention and the raw outputs on ``F_fg``."""
        num_valid = self._valid_steps(data_samples)
        mask = self._valid_mask(x, num_valid)
        attention = self.attention(x)
        outputs = self.detect(self.foreground(x, attention, mask))
        losses = self.loss(outputs, data_samples)
        if self.bg_weight:
            background = []
            for sample, valid in zip(data_samples, num_valid):
                gaps = complement_intervals(sample.gt_instances.segments.to(x), valid)
                background.append((gaps, gaps.new_full((len(gaps), ), -1).long()))
            bg_losses = self.detection_loss(self.detect(self.background(x, attention, mask)),
                                            background, num_valid, boundary=False)
            losses.update({f'{key}_bg': self.bg_weight * value
                           for key, value in bg_losses.items()})
        losses.update(self.ssl_loss(x, data_samples))
        scale = self._pull_scale()
        if scale:
            rows = self._rows(attention, mask)
            rebuilt = self.cvae.decode(rows + torch.randn_like(rows), rows)
            losses['loss_pull'] = scale * F.mse_loss(rebuilt, self._rows(x, mask))
        return losses, attention, outputs

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """Pass A with ``optim_wrapper['cvae']``, then pass B with ``['detector']``."""
        if not self.with_gaf:
            return super().train_step(data, optim_wrapper)
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                set(optim_wrapper.keys()) != {'detector', 'cvae'}:
            raise KeyError('GAF trains with two optimizers: set optim_wrapper = dict('
                           "constructor='GAFOptimWrapperConstructor', detector=..., cvae=...)")
        data = self.data_preprocessor(data, True)
        x = self.select_inputs(data['inputs'])
        samples = data['data_samples']
        cvae_wrapper, detector_wrapper = optim_wrapper['cvae'], optim_wrapper['detector']
        with cvae_wrapper.optim_context(self):
            loss_a, log_a = self.parse_losses(self.cvae_loss(x, samples))
        cvae_wrapper.zero_grad()  # what pass B left on the (then frozen) CVAE
        cvae_wrapper.update_params(loss_a)
        with detector_wrapper.optim_context(self):
            loss_b, log_b = self.parse_losses(self.detector_loss(x, samples))
        detector_wrapper.update_params(loss_b)
        log_vars = dict(log_a, **log_b)
        log_vars['loss'] = log_a['loss'] + log_b['loss']
        return log_vars
