"""The two small workloads `app.asr.models.precision.measure` times, and the parity check against fp32.

- compute: a Transformer block as wide as the speech encoder's (hidden 1024, 8 heads, MLP 4096) over
  375 frames (7.5 s of audio), then a 512-way output layer: bound by arithmetic, like the encoder and
  the NAR model's single language-model pass.
- decode: two Granite language-model layers (hidden 2048, 16 heads, SwiGLU MLP 4096), ONE new token
  attending to 256 cached ones, then the output layer: bound by how fast the weights are read, like
  token-by-token decoding.

Weights come from a fixed seed, so every run checks the same numbers.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

VOCAB = 512


class _Block(nn.Module):
    """Pre-norm attention + MLP; `gated` makes the MLP SwiGLU (Granite), else GELU (the encoder)."""

    def __init__(self, hidden: int, heads: int, mlp: int, gated: bool) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(hidden), nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.gated = gated
        self.up = nn.Linear(hidden, 2 * mlp if gated else mlp)
        self.down = nn.Linear(mlp, hidden)

    def forward(self, x: torch.Tensor, past: torch.Tensor | None = None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if past is not None:  # cached keys and values of earlier tokens: [2, b, heads, T, head_dim]
            k, v = torch.cat([past[0].to(k.dtype), k], 2), torch.cat([past[1].to(v.dtype), v], 2)
        att = nn.functional.scaled_dot_product_attention(q, k, v)
        x = x + self.out(att.transpose(1, 2).reshape(b, t, d))
        h = self.up(self.norm2(x))
        if self.gated:
            gate, up = h.chunk(2, dim=-1)
            h = nn.functional.silu(gate) * up
        else:
            h = nn.functional.gelu(h)
        out: torch.Tensor = x + self.down(h)
        return out


class _Net(nn.Module):
    def __init__(self, layers: int, hidden: int, heads: int, mlp: int, gated: bool) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(_Block(hidden, heads, mlp, gated) for _ in range(layers))
        self.head = nn.Linear(hidden, VOCAB)

    def forward(self, x: torch.Tensor, past: list[torch.Tensor] | None = None) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = block(x, None if past is None else past[i])
        logits: torch.Tensor = self.head(x)
        return logits


@dataclass
class Workload:
    """A network in fp32, its fixed input, and what one run costs."""

    net: _Net
    x: torch.Tensor
    past: list[torch.Tensor] | None
    flops: float
    params: float

    def build(self, precision: str, convert: Callable[[nn.Module, str], nn.Module]) -> nn.Module:
        """The network in `precision`, made by `convert` (`app.asr.models.precision.convert`, which measures
        with these workloads: passed in so that neither module imports the other both ways)."""
        return self.net if precision == "fp32" else convert(copy.deepcopy(self.net), precision)

    def run(self, model: nn.Module) -> torch.Tensor:
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        dtype = torch.bfloat16 if dtype == torch.bfloat16 else torch.float32
        return model(self.x.to(dtype), self.past).float()  # type: ignore[no-any-return]

    def reference(self) -> torch.Tensor:
        return self.run(self.net)

    def once(self, model: nn.Module) -> float:
        """Seconds of one run."""
        start = time.perf_counter()
        self.run(model)
        return time.perf_counter() - start


def _linear_params(net: nn.Module) -> int:
    return sum(m.weight.numel() for m in net.modules() if isinstance(m, nn.Linear))


def compute_workload(scale: float = 1.0) -> Workload:
    """Encoder-like: arithmetic-bound."""
    hidden, frames = max(64, int(1024 * scale) // 64 * 64), max(16, int(250 * scale))
    gen = torch.Generator().manual_seed(1234)
    net = _seeded(1234, lambda: _Net(1, hidden, max(1, hidden // 128), 4 * hidden, gated=False))
    x = torch.randn(1, frames, hidden, generator=gen)
    flops = 2.0 * frames * _linear_params(net) + 4.0 * frames * frames * hidden
    return Workload(net, x, None, flops, float(_linear_params(net)))


def decode_workload(scale: float = 1.0) -> Workload:
    """Decoder-like: one token through two layers (more weights than a CPU cache holds): bound by memory."""
    hidden, cached = max(64, int(2048 * scale) // 64 * 64), 256
    heads = max(1, hidden // 128)
    gen = torch.Generator().manual_seed(4321)
    net = _seeded(4321, lambda: _Net(2, hidden, heads, 2 * hidden, gated=True))
    x = torch.randn(1, 1, hidden, generator=gen)
    past = [torch.randn(2, 1, heads, cached, hidden // heads, generator=gen) for _ in range(2)]
    params = float(_linear_params(net))
    return Workload(net, x, past, 2.0 * params, params)


def _seeded(seed: int, make: Callable[[], _Net]) -> _Net:
    """A network with its default initialisation drawn from `seed`, leaving torch's global generator alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make().eval()


def parity(reference: torch.Tensor, output: torch.Tensor, tolerance: float) -> tuple[bool, float]:
    """(passed, error): the RMS of (output - fp32) within `tolerance` x the RMS of the fp32 logits, and the
    same argmax wherever fp32's top-two margin is above 2 x tolerance x that RMS (closer calls may flip)."""
    ref, out = reference.reshape(-1, reference.shape[-1]), output.reshape(-1, output.shape[-1])
    scale = float(ref.pow(2).mean().sqrt()) or 1.0
    err = float((out - ref).pow(2).mean().sqrt()) / scale
    top = ref.topk(2, dim=-1).values
    clear = (top[:, 0] - top[:, 1]) > 2 * tolerance * scale
    same = bool((ref.argmax(-1)[clear] == out.argmax(-1)[clear]).all())
    return (err <= tolerance and same), err
