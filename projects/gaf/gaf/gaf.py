"""GAF: generative attention on feature semantics, on the AFSD detector."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict

from .afsd import AFSD, AFSDLocalizer, Outputs, softmax_focal_loss

NORMS = ('mean', 'batch_sum')


class FeatureAttention(nn.Module):
    """One attention value in [0, 1] per feature dimension and step.

    ``(B, C, T)`` -> 1x1 conv to ``hidden`` + GN + ReLU (GAF's space-collapsing Conv3d on I3D
    maps, :class:`MapAttention`) -> time resampled (nearest) to ``length`` -> Conv1d(hidden ->
    C, k3) + GN + ReLU (mixes the feature dimensions: intra) -> Linear(length -> T) along that
    axis (mixes all steps: inter) -> sigmoid.

    Args:
        in_channels: ``C``.
        window_size: ``T``.
        hidden: width after the first conv (GAF: 512).
        length: the resampled time length (GAF: ``C``). Defaults to ``C``.
        norm_groups: GroupNorm groups.
        collapse_norm: GN + ReLU after the first conv (GAF); False: the bare conv.
    """

    def __init__(self, in_channels: int, window_size: int, hidden: int = 512,
                 length: Optional[int] = None, norm_groups: int = 32,
                 collapse_norm: bool = True):
        super().__init__()
        self.length = length or in_channels
        self.project = self._collapse(in_channels, hidden, norm_groups, collapse_norm)
        self.mix = nn.Sequential(
            nn.Conv1d(hidden, in_channels, 3, padding=1), nn.GroupNorm(norm_groups, in_channels),
            nn.ReLU(inplace=True))
        self.temporal = nn.Linear(self.length, window_size)

    @staticmethod
    def _collapse(in_channels: int, hidden: int, norm_groups: int, norm: bool) -> nn.Module:
        conv = nn.Conv1d(in_channels, hidden, 1)
        if not norm:
            return conv
        return nn.Sequential(conv, nn.GroupNorm(norm_groups, hidden), nn.ReLU(inplace=True))

    def collapse(self, x: torch.Tensor) -> torch.Tensor:
        """The input as ``(B, hidden, T)``."""
        return self.project(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.interpolate(self.collapse(x), size=self.length, mode='nearest')
        return torch.sigmoid(self.temporal(self.mix(hidden)))


class MapAttention(FeatureAttention):
    """:class:`FeatureAttention` on a ``(B, C, T, H, W)`` map: the first conv is a Conv3d with
    kernel ``(1, H, W)`` that collapses space (GAF's ``deconv1`` on Mixed_5c, ``deconv2`` on
    Mixed_4f; then ``Att_Head_5c`` / ``Att_Head_4f``). Output ``(B, C, T)``.

    Args:
        in_channels: ``C`` (Mixed_4f 832, Mixed_5c 1024).
        window_size: ``T`` of the map.
        spatial: ``(H, W)`` of the map (96x96 frames: 6x6 for Mixed_4f, 3x3 for Mixed_5c).
        **kwargs: :class:`FeatureAttention` arguments.
    """

    def __init__(self, in_channels: int, window_size: int, spatial: Sequence[int],
                 hidden: int = 512, norm_groups: int = 32, collapse_norm: bool = True,
                 **kwargs):
        self.spatial = tuple(spatial)
        super().__init__(in_channels, window_size, hidden, norm_groups=norm_groups,
                         collapse_norm=collapse_norm, **kwargs)

    def _collapse(self, in_channels: int, hidden: int, norm_groups: int,
                  norm: bool) -> nn.Module:
        conv = nn.Conv3d(in_channels, hidden, (1, ) + self.spatial)
        if not norm:
            return conv
        return nn.Sequential(conv, nn.GroupNorm(norm_groups, hidden), nn.ReLU(inplace=True))

    def collapse(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.spatial:
            raise ValueError(f'MapAttention expects maps of {self.spatial[0]}x{self.spatial[1]} '
                             f'positions, got {x.shape[-2]}x{x.shape[-1]}')
        return self.project(x).flatten(2)


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


class MapCVAE(FeatureCVAE):
    """GAF's conditional VAE of a ``(B, C, T, H, W)`` map given its ``(B, C, T)`` attention:
    :class:`FeatureCVAE` per step between a Conv3d ``(1, H, W)`` + GN + ReLU that collapses
    space (encoder side) and a ConvTranspose3d ``(1, H, W)`` + GN + ReLU that restores it
    (decoder side); width ``C``. GAF's ``CEncoder`` / ``CDecoder`` (Mixed_5c) and
    ``CEncoder_832`` / ``CDecoder_832`` (Mixed_4f).
    """

    def __init__(self, in_channels: int, spatial: Sequence[int], norm_groups: int = 32):
        super().__init__(in_channels)
        kernel = (1, ) + tuple(spatial)
        self.collapse = nn.Sequential(nn.Conv3d(in_channels, in_channels, kernel),
                                      nn.GroupNorm(norm_groups, in_channels), nn.ReLU(inplace=True))
        self.expand = nn.Sequential(nn.ConvTranspose3d(in_channels, in_channels, kernel),
                                    nn.GroupNorm(norm_groups, in_channels), nn.ReLU(inplace=True))

    def rebuild(self, z: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` latents and attention -> the ``(B, C, T, H, W)`` map."""
        return self.expand(self.decode(z, attention).transpose(1, 2)[..., None, None])

    def forward(self, x: torch.Tensor, attention: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``mu``, ``log s^2`` ``(B, T, C)`` and the rebuilt map of map ``x`` and its ``(B, C,
        T)`` attention (GAF's ``'forward'`` mode)."""
        attention = attention.transpose(1, 2)
        mu, log_var = self.encode(self.collapse(x).flatten(2).transpose(1, 2), attention)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        return mu, log_var, self.rebuild(z, attention)

    def generate(self, attention: torch.Tensor) -> torch.Tensor:
        """A map drawn from the prior ``N(l, I)`` given the ``(B, C, T)`` attention (GAF's
        ``'inference'`` mode)."""
        attention = attention.transpose(1, 2)
        noise = torch.randn(attention.shape, dtype=attention.dtype, device=attention.device)
        return self.rebuild(attention + noise, attention)


def kl_to_attention(mu: torch.Tensor, log_var: torch.Tensor,
                    attention: torch.Tensor) -> torch.Tensor:
    """Mean over elements of ``KL(N(mu, s^2) || N(l, 1))``."""
    return 0.5 * (log_var.exp() + (mu - attention)**2 - 1 - log_var).mean()


#: Child modules of AFSD's detector that GAF initialises with N(0, 0.01) (towers, heads and
#: refinement branches; the rest of the detector keeps AFSD's Glorot-uniform).
HEADS = ('loc_tower', 'conf_tower', 'loc_head', 'conf_head', 'loc_branch', 'conf_branch',
         'prop_loc_head', 'prop_conf_head', 'quality_head')
PHASES = ('both', 'cvae', 'detector')
INITS = ('official', 'afsd')


def gaf_init_weights(heads: Sequence[nn.Module]) -> None:
    """GAF's ``reset_params`` on top of AFSD's: N(0, 0.01) weights and zero biases on the Conv1d
    layers of ``heads`` (their GroupNorms stay at (1, 0)). The attention and the CVAE keep
    PyTorch's defaults (the official code initialises before it builds them)."""
    for head in heads:
        for module in head.modules():
            if isinstance(module, nn.Conv1d):
                nn.init.normal_(module.weight, std=0.01)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.GroupNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)


def pull_scale(weight: float, warmup: Optional[int]) -> float:
    """The generative pull's weight now: ``weight x min(e, E) / E`` with ``e`` the 1-based epoch
    and ``E`` the loop's ``max_epochs`` (``warmup=None``, the official schedule; the full weight
    outside an epoch loop), or ``weight x min(i, warmup) / warmup`` at iteration ``i``."""
    hub = MessageHub.get_current_instance()
    if warmup is None:
        max_epochs = hub.get_info('max_epochs')
        if not max_epochs:
            return weight
        return weight * min(hub.get_info('epoch', 0) + 1, max_epochs) / max_epochs
    if warmup <= 0:
        return weight
    return weight * min(hub.get_info('iter', 0), warmup) / warmup


def background_cost(logits: torch.Tensor, cw: float = 1., gamma: float = 2.,
                    alpha: float = 0.25) -> torch.Tensor:
    """GAF's background cost of ``(n, K + 1)`` coarse logits: ``cw x`` their focal loss
    against background, summed. The official loss of the background pass has no positive prior,
    so its regression term is 0 and its normaliser 1; its refined terms are left out."""
    targets = torch.zeros(len(logits), dtype=torch.long, device=logits.device)
    return cw * softmax_focal_loss(logits, targets, gamma=gamma, alpha=alpha)


class GAFTraining:
    """GAF's two-optimizer training step, shared by :class:`GAF` and :class:`GAFE2E`: the
    model gives ``cvae_loss(x, data_samples)`` (pass A) and ``detector_loss(x, data_samples)``
    (pass B); ``train_phase`` says which of them a step runs."""

    #: Child modules the detector's optimizer leaves alone.
    not_detector = ('cvae', 'data_preprocessor')

    def optim_parts(self) -> Dict[str, nn.Module]:
        """The modules of each optimizer: ``cvae`` and the rest (``detector``)."""
        if not getattr(self, 'with_gaf', True):
            raise ValueError('GAF with with_gaf=False has one optimizer; use a plain '
                             'optim_wrapper, not GAFOptimWrapperConstructor')
        detector = nn.ModuleDict({name: module for name, module in self.named_children()
                                  if name not in self.not_detector})
        detector.register_parameter('loc_scales', self.loc_scales)
        return dict(detector=detector, cvae=self.cvae)

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """Pass A with ``optim_wrapper['cvae']``, then pass B with ``['detector']`` (those of
        ``train_phase``)."""
        if not getattr(self, 'with_gaf', True):
            return super().train_step(data, optim_wrapper)
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                set(optim_wrapper.keys()) != {'detector', 'cvae'}:
            raise KeyError('GAF trains with two optimizers: set optim_wrapper = dict('
                           "constructor='GAFOptimWrapperConstructor', detector=..., cvae=...)")
        if self.train_phase not in PHASES:
            raise ValueError(f'train_phase must be one of {PHASES}, got {self.train_phase!r}')
        data = self.data_preprocessor(data, True)
        x = self.select_inputs(data['inputs'])
        samples = data['data_samples']
        cvae_wrapper, detector_wrapper = optim_wrapper['cvae'], optim_wrapper['detector']
        log_vars, total = {}, 0.
        if self.train_phase != 'detector':
            with cvae_wrapper.optim_context(self):
                loss_a, log_a = self.parse_losses(self.cvae_loss(x, samples))
            cvae_wrapper.zero_grad()  # what pass B left on the (then frozen) CVAE
            cvae_wrapper.update_params(loss_a)
            log_vars.update(log_a)
            total = total + log_a['loss']
        if self.train_phase != 'cvae':
            with detector_wrapper.optim_context(self):
                loss_b, log_b = self.parse_losses(self.detector_loss(x, samples))
            detector_wrapper.update_params(loss_b)
            log_vars.update(log_b)
            total = total + log_b['loss']
        log_vars['loss'] = total
        return log_vars

    def background_loss(self, outputs: Outputs, num_valid: List[int]) -> torch.Tensor:
        """:func:`background_cost` of the valid priors."""
        valid = self.prior_centres[None] < torch.tensor(num_valid, device=outputs['logits'].device
                                                        )[:, None]
        return background_cost(outputs['logits'][valid], self.cw, self.focal_gamma,
                               self.focal_alpha)


@MODELS.register_module()
class GAF(GAFTraining, AFSDLocalizer):
    """GAF (generative attention model-based feature semantics) on an AFSD detector.

    An attention ``l`` (:class:`FeatureAttention`) weighs the input features: the detector
    runs on ``F_fg = F l / n(l)`` with the ground truth and on ``F_bg = F (1 - l) / n(1 - l)``
    where every prior is background, ``n`` the sum of the weights over the batch tensor
    (``norm='batch_sum'``, the official code) or their mean per window (``'mean'``). The
    background cost is the official one: the coarse focal loss of all valid priors against
    background, summed (no refined or regression term). A conditional VAE
    (:class:`FeatureCVAE`) learns to rebuild ``F`` from ``l``: pass A (the CVAE's optimizer:
    ``MSE + kl_weight x KL``, attention detached); pass B (the detector's optimizer: ``L_fg +
    bg_weight x L_bg + pull`` (+ AFSD's triplet loss on the attended augmented windows), where
    the generative pull ``pull_scale x mean((D(l + eps, l) - F)^2)``, ``eps ~ N(0, I)``, reaches
    ``l`` through the frozen decoder, see :func:`pull_scale`). ``train_phase`` says which passes
    a training step runs: ``'both'`` (A then B at every iteration) or one of them
    (:class:`~.optim.GAFTrainLoop` runs a whole epoch of A, then one of B, as the official
    code). Test: the detector on ``F_fg``. ``with_gaf=False`` is :class:`AFSDLocalizer`.

    The optimizers come from :class:`GAFOptimWrapperConstructor` (keys ``detector``, ``cvae``).

    Args:
        with_gaf: attention, background pass and CVAE on.
        attention: :class:`FeatureAttention` arguments (``hidden``, ``length``,
            ``collapse_norm``).
        cvae_hidden: CVAE width. Defaults to the input width.
        norm: ``'batch_sum'`` or ``'mean'``.
        bg_weight: weight of the background pass (GAF: 35 on THUMOS14, 700 on ActivityNet).
        kl_weight: weight of the KL term of the CVAE loss.
        pull_weight, pull_warmup: the generative pull's weight and schedule (:func:`pull_scale`;
            None: the official epoch schedule, an int: a warm-up in iterations).
        init: ``'official'`` (:func:`gaf_init_weights`) or ``'afsd'`` (AFSD's alone).
        **kwargs: :class:`AFSDLocalizer` arguments.
    """

    def __init__(self,
                 *args,
                 with_gaf: bool = True,
                 attention: Optional[Dict] = None,
                 cvae_hidden: Optional[int] = None,
                 norm: str = 'batch_sum',
                 bg_weight: float = 35.,
                 kl_weight: float = 0.1,
                 pull_weight: float = 0.5,
                 pull_warmup: Optional[int] = None,
                 init: str = 'official',
                 **kwargs):
        super().__init__(*args, **kwargs)
        if norm not in NORMS:
            raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
        if init not in INITS:
            raise ValueError(f'init must be one of {INITS}, got {init!r}')
        self.with_gaf, self.norm = with_gaf, norm
        self.bg_weight, self.kl_weight = bg_weight, kl_weight
        self.pull_weight, self.pull_warmup = pull_weight, pull_warmup
        self.train_phase = 'both'
        if with_gaf:
            if init == 'official':
                gaf_init_weights([getattr(self, name) for name in HEADS])
            groups = kwargs.get('norm_groups', 32)
            self.attention = FeatureAttention(self.in_channels, self.window_size,
                                              norm_groups=groups, **(attention or {}))
            self.cvae = FeatureCVAE(self.in_channels, cvae_hidden)

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
            bg_outputs = self.detect(self.background(x, attention, mask))
            losses['loss_cls_bg'] = self.bg_weight * self.background_loss(bg_outputs, num_valid)
        losses.update(self.ssl_loss(x, data_samples))
        scale = pull_scale(self.pull_weight, self.pull_warmup)
        if scale:
            rows = self._rows(attention, mask)
            rebuilt = self.cvae.decode(rows + torch.randn_like(rows), rows)
            losses['loss_pull'] = scale * F.mse_loss(rebuilt, self._rows(x, mask))
        return losses, attention, outputs


@MODELS.register_module()
class GAFE2E(GAFTraining, AFSD):
    """GAF end to end, as the official GAF ``BDNet``: :class:`~.afsd.AFSD` whose two backbone
    maps ``M`` are weighted by one :class:`MapAttention` ``l`` each (Mixed_4f: GAF's ``deconv2``
    and ``Att_Head_4f``; Mixed_5c: ``deconv1`` and ``Att_Head_5c``) before the pyramid, with one
    :class:`MapCVAE` per map.

    The detector sees ``M l / n(l)`` (``n`` the sum over the batch tensor, ``norm='batch_sum'``
    as the official code, or the mean per window, ``'mean'``), at test too. Training (two
    optimizers, :class:`GAFTraining`): pass A, the maps and the attention without gradients,
    per map ``MSE(rebuilt, M) + kl_weight x KL(N(mu, s^2) || N(l, I))``, summed over the maps;
    pass B, AFSD's losses on the foreground maps, ``bg_weight x`` :func:`background_cost` on
    the background maps ``M (1 - l) / n(1 - l)``, AFSD's triplet loss on the augmented windows
    (their own maps and attention), and the generative pull :func:`pull_scale` ``x`` per map
    ``mean((G(l) - M)^2)`` summed, ``G`` the frozen CVAE's decoder drawn from ``N(l, I)``.

    Args:
        backbone: as :class:`~.afsd.AFSD` (I3D: Mixed_4f and Mixed_5c).
        num_classes: action classes.
        attention_hidden: width after the space-collapsing conv (GAF: 512).
        collapse_norm: GN + ReLU after that conv (GAF).
        norm: ``'batch_sum'`` or ``'mean'``.
        bg_weight, kl_weight, pull_weight, pull_warmup: as :class:`GAF`.
        init: ``'official'`` (:func:`gaf_init_weights`) or ``'afsd'``.
        pull_target: what the pull draws towards: ``'features'`` (the maps, GAF's intent) or
            ``'background'`` (the background maps, what the official ``train.py`` computes: its
            feature dict is overwritten by the background pass before the pull reads it).
        **kwargs: :class:`~.afsd.AFSD` arguments (``in_channels``, ``window_size``,
            ``crop_size``, ``feature_channels``, ``norm_groups``, loss weights, ...).
    """

    #: The backbone's maps, in its output order.
    maps = ('mixed_4f', 'mixed_5c')

    def __init__(self,
                 backbone: Dict,
                 num_classes: int,
                 attention_hidden: int = 512,
                 collapse_norm: bool = True,
                 norm: str = 'batch_sum',
                 bg_weight: float = 35.,
                 kl_weight: float = 0.1,
                 pull_weight: float = 0.5,
                 pull_warmup: Optional[int] = None,
                 init: str = 'official',
                 pull_target: str = 'features',
                 **kwargs):
        super().__init__(backbone, num_classes, **kwargs)
        if pull_target not in ('features', 'background'):
            raise ValueError(f"pull_target must be 'features' or 'background', got "
                             f'{pull_target!r}')
        self.pull_target = pull_target
        if norm not in NORMS:
            raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
        if init not in INITS:
            raise ValueError(f'init must be one of {INITS}, got {init!r}')
        self.norm, self.bg_weight, self.kl_weight = norm, bg_weight, kl_weight
        self.pull_weight, self.pull_warmup = pull_weight, pull_warmup
        self.train_phase = 'both'
        if init == 'official':
            gaf_init_weights([getattr(self, name) for name in HEADS])
        groups = kwargs.get('norm_groups', 32)
        channels = kwargs.get('feature_channels', (832, 1024))
        shapes = [(self.window_size // 4, self.crop_size // 16),
                  (self.window_size // 8, self.crop_size // 32)]
        self.attention = nn.ModuleDict({
            name: MapAttention(width, steps, (side, side), attention_hidden, groups,
                               collapse_norm)
            for name, width, (steps, side) in zip(self.maps, channels, shapes)})
        self.cvae = nn.ModuleDict({
            name: MapCVAE(width, (side, side), groups)
            for name, width, (_, side) in zip(self.maps, channels, shapes)})

    def attend(self, maps: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """The ``(B, C, T)`` attention of each map."""
        return [attention(feature) for attention, feature in zip(self.attention.values(), maps)]

    def weigh(self, maps: Sequence[torch.Tensor], attentions: Sequence[torch.Tensor],
              background: bool = False) -> List[torch.Tensor]:
        """The foreground maps ``M l / n(l)`` (``background``: ``M (1 - l) / n(1 - l)``)."""
        weighed = []
        for feature, attention in zip(maps, attentions):
            weights = 1 - attention if background else attention
            total = weights.sum() if self.norm == 'batch_sum' else \
                weights.mean((1, 2), keepdim=True)
            weighed.append(feature * (weights / total)[..., None, None])
        return weighed

    def pyramid(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The pyramid on the foreground maps of windows ``x``."""
        maps = self.backbone(x)
        return self.neck(self.weigh(maps, self.attend(maps)))

    def forward(self, inputs, data_samples: Optional[List] = None, mode: str = 'tensor'):
        """As :class:`~.afsd.AFSD`; ``mode='loss'`` gives the losses of both passes."""
        if mode == 'loss':
            x = self.select_inputs(inputs)
            return dict(self.cvae_loss(x, data_samples), **self.detector_loss(x, data_samples))
        return super().forward(inputs, data_samples, mode)

    def cvae_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Pass A: each map's CVAE rebuilds it from its (detached) attention."""
        with torch.no_grad():
            maps = self.backbone(x)
            attentions = self.attend(maps)
        rec = kl = 0.
        for cvae, feature, attention in zip(self.cvae.values(), maps, attentions):
            mu, log_var, rebuilt = cvae(feature, attention)
            rec = rec + F.mse_loss(rebuilt, feature)
            kl = kl + kl_to_attention(mu, log_var, attention.transpose(1, 2))
        return dict(loss_cvae_rec=rec, loss_cvae_kl=self.kl_weight * kl)

    def detector_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """Pass B: foreground and background passes, triplet loss, generative pull."""
        maps = self.backbone(x)
        attentions = self.attend(maps)
        losses = self.loss(self.head(*self.neck(self.weigh(maps, attentions))), data_samples)
        background = self.weigh(maps, attentions, background=True)
        if self.bg_weight:
            outputs = self.head(*self.neck(background))
            losses['loss_cls_bg'] = self.bg_weight * self.background_loss(
                outputs, self._valid_steps(data_samples))
        losses.update(self.ssl_loss(x, data_samples))
        scale = pull_scale(self.pull_weight, self.pull_warmup)
        if scale:
            targets = maps if self.pull_target == 'features' else background
            losses['loss_pull'] = scale * sum(
                F.mse_loss(cvae.generate(attention), target)
                for cvae, target, attention in zip(self.cvae.values(), targets, attentions))
        return losses
