"""The cross-scale graph pyramid network (xGPN) of VSGN and its convolution-only variant."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_relu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(in_channels, out_channels, 3, stride, padding=1),
                         nn.ReLU(inplace=True))


@torch.no_grad()
def cross_scale_knn(x: torch.Tensor, k: int, magnified_from: Optional[torch.Tensor] = None,
                    num_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Indices ``(B, N, k)`` of each position's neighbours in feature space.

    Distances are squared L2 between the columns of ``x`` ``(B, C, N)``; a position is its own
    nearest neighbour. The first ``k // 2`` neighbours are the plain nearest ones; the other
    ``k - k // 2`` are the next nearest, except that a magnified position (index >=
    ``magnified_from[b]``: the stitched copy) takes them among the other positions only, so it
    links at least ``k - k // 2`` original-scale ones. Positions at or past
    ``num_valid[b]`` (zero padding) are nobody's neighbours. Where too few candidates remain, the
    position itself fills the list (a repeated neighbour does not change a max over edges).
    """
    batch, _, length = x.shape
    points = x.transpose(1, 2).float()
    dist = torch.cdist(points, points).square()
    index = torch.arange(length, device=x.device)
    if num_valid is not None:
        dist.masked_fill_(index[None, None, :] >= num_valid[:, None, None], float('inf'))
    dist.diagonal(dim1=1, dim2=2).fill_(-1.)  # self first, even next to an identical position
    k_first = min(k // 2, length)
    first_dist, first = dist.topk(k_first, dim=-1, largest=False)
    rest = dist.scatter(-1, first, float('inf'))
    if magnified_from is not None:
        magnified = index[None, :] >= magnified_from[:, None]
        rest.masked_fill_(magnified[:, :, None] & magnified[:, None, :], float('inf'))
    rest_dist, second = rest.topk(min(k - k_first, length), dim=-1, largest=False)
    neighbours = torch.cat([first, second], dim=-1)
    missing = torch.cat([first_dist, rest_dist], dim=-1).isinf()
    return torch.where(missing, index[None, :, None].expand_as(neighbours), neighbours)


def _at_length(steps: Optional[torch.Tensor], length: int, window: int, round_up: bool):
    """Input-step counts ``steps`` on a level of ``length`` positions (``None`` stays).

    The start of the magnified copy is floored, as the official ``int((n + gap) / (T /
    length))``; a count of valid steps is rounded up (a partly valid position is valid).
    """
    if steps is None:
        return None
    return (torch.ceil if round_up else torch.floor)(steps / (window / length))


class CrossScaleGraphLayer(nn.Module):
    """EdgeConv on the cross-scale kNN graph: ``max_j mlp([x_j || x_i])`` over the neighbours
    ``j`` of each position ``i`` (``mlp``: ``Linear(2C, C)``, the official ``NeighConv``).

    ``mlp([x_j || x_i]) = W_1 x_j + W_2 x_i + b`` with ``W = [W_1 | W_2]``, so ``W_1 x_j`` is
    computed once per position, and the neighbours are read through one flat index: the
    backward scatters ``(B, N, k, C)`` gradients, never a dense ``(B, N, N, C)`` one.
    """

    def __init__(self, channels: int, num_neighbours: int):
        super().__init__()
        self.num_neighbours = num_neighbours
        self.mlp = nn.Linear(2 * channels, channels)

    def forward(self, x: torch.Tensor, magnified_from: Optional[torch.Tensor] = None,
                num_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        batch, channels, length = x.shape
        neighbours = cross_scale_knn(x, self.num_neighbours, magnified_from, num_valid)
        points = x.transpose(1, 2)
        messages = F.linear(points, self.mlp.weight[:, :channels])
        centre = F.linear(points, self.mlp.weight[:, channels:], self.mlp.bias)
        flat = neighbours + (torch.arange(batch, device=x.device) * length)[:, None, None]
        gathered = messages.reshape(batch * length, -1)[flat.reshape(-1)]
        gathered = gathered.reshape(batch, length, neighbours.shape[-1], -1)
        return (gathered.amax(dim=2) + centre).transpose(1, 2)


class XGNLevel(nn.Module):
    """One encoder level: a temporal conv branch and a graph branch on the same input, summed,
    ReLU, max-pooled by 2 (``graph=False``: a stride-2 conv and ReLU)."""

    def __init__(self, channels: int, num_neighbours: int, graph: bool = True):
        super().__init__()
        if graph:
            self.conv = nn.Conv1d(channels, channels, 3, padding=1)
            self.graph = CrossScaleGraphLayer(channels, num_neighbours)
        else:
            self.conv = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.graph = None

    def forward(self, x, magnified_from=None, num_valid=None):
        if self.graph is None:
            return F.relu(self.conv(x))
        out = F.relu(self.conv(x) + self.graph(x, magnified_from, num_valid))
        return F.max_pool1d(out, 2)


class XGPN(nn.Module):
    """Stem, encoder of ``num_levels`` halving levels and a decoder with lateral connections.

    The stem (stride-2 conv) maps ``(B, C_in, T)`` to ``T / 2`` steps; encoder level ``l``
    outputs ``T / 2^(l + 2)``. Decoder: ``D_L = conv(E_L)`` and ``D_l = conv(conv(E_l) +
    up(D_{l+1}))`` with ``up`` a stride-2 transposed conv and ReLU. Returns the decoder levels,
    finest (stride 4) first.

    Args:
        in_channels: feature width.
        channels: width of every level.
        num_levels: encoder (and decoder) levels.
        num_neighbours: ``k`` of the kNN graphs.
        use_graph: xGN levels (conv + graph branch) or plain stride-2 convs.
    """

    def __init__(self, in_channels: int, channels: int = 256, num_levels: int = 5,
                 num_neighbours: int = 12, use_graph: bool = True):
        super().__init__()
        self.num_levels = num_levels
        self.stem = conv_relu(in_channels, channels, stride=2)
        self.encoder = nn.ModuleList(
            XGNLevel(channels, num_neighbours, use_graph) for _ in range(num_levels))
        self.lateral = nn.ModuleList(conv_relu(channels, channels) for _ in range(num_levels))
        self.up = nn.ModuleList(
            nn.Sequential(
                nn.ConvTranspose1d(channels, channels, 3, stride=2, padding=1, output_padding=1),
                nn.ReLU(inplace=True)) for _ in range(num_levels - 1))
        self.fuse = nn.ModuleList(conv_relu(channels, channels) for _ in range(num_levels - 1))

    def forward(self, x: torch.Tensor, magnified_from: Optional[torch.Tensor] = None,
                num_valid: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """``magnified_from``: ``(B,)`` input step where the magnified copy starts (the graphs'
        cross-scale rule; ``None``: nothing magnified); ``num_valid``: ``(B,)`` valid input
        steps, the rest padding that the graphs then leave out (``None``, as the official
        graphs: every position is a candidate neighbour)."""
        window = x.shape[-1]
        x = self.stem(x)
        encoded = []
        for level in self.encoder:
            length = x.shape[-1]
            x = level(x, _at_length(magnified_from, length, window, round_up=False),
                      _at_length(num_valid, length, window, round_up=True))
            encoded.append(x)
        decoded = [self.lateral[-1](encoded[-1])]
        for i in reversed(range(self.num_levels - 1)):
            decoded.insert(0, self.fuse[i](self.lateral[i](encoded[i]) + self.up[i](decoded[0])))
        return decoded
