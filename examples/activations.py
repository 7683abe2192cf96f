"""Activation kernels written with torch's own functions (softplus, mish, gelu,
elu, leaky_relu, hardswish), and a per-head norm that views the rows it
computes as [heads, head_dim]."""
from __future__ import annotations

import torch
import torch.nn.functional as F

import helion
import helion.language as hl


@helion.kernel()
def mish_softplus_gelu(x: torch.Tensor, beta: float) -> torch.Tensor:
    """A fused pointwise epilogue: mish(x) + softplus(x, beta) * gelu(x) (tanh form); beta is a runtime float."""
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile(x.size()):
        v = x[tile_m, tile_n].float()
        out[tile_m, tile_n] = F.mish(v) + F.softplus(v, beta=beta, threshold=10.0) * F.gelu(v, approximate="tanh")
    return out


def mish_softplus_gelu_reference(x, beta):
    v = x.double()
    return F.mish(v) + F.softplus(v, beta=beta, threshold=10.0) * F.gelu(v, approximate="tanh")


@helion.kernel()
def bias_activations(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x + bias through elu, leaky_relu and hardswish, each in a column block of a
    [m, 3, n] float32 output."""
    m, n = x.size()
    out = torch.empty([m, 3, n], dtype=torch.float32, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        v = x[tile_m, tile_n].float() + bias[tile_n]
        out[tile_m, 0, tile_n] = F.elu(v, alpha=0.5)
        out[tile_m, 1, tile_n] = F.leaky_relu(v, 0.1)
        out[tile_m, 2, tile_n] = F.hardswish(v)
    return out


def bias_activations_reference(x, bias):
    v = x.double() + bias.double()
    return torch.stack([F.elu(v, alpha=0.5), F.leaky_relu(v, 0.1), F.hardswish(v)], dim=1)


@helion.kernel()
def head_rms_norm(x: torch.Tensor, weight: torch.Tensor, heads: int) -> torch.Tensor:
    """RMS norm over each head of each token (the q/k norm of attention blocks):
    a row of heads * head_dim values (a power of two) is viewed as [heads, head_dim]."""
    tokens, hidden = x.size()
    head_dim = hidden // heads
    out = torch.empty_like(x)
    for tile in hl.tile(tokens):
        v = x[tile, :].float().view(tile, heads, head_dim)  # the row's dim becomes static: the row stays whole
        rms = torch.rsqrt((v * v).mean(-1, keepdim=True) + 1e-6)
        out[tile, :] = (v * rms * weight[:].float()).reshape(tile, -1)
    return out


def head_rms_norm_reference(x, weight, heads):
    v = x.double().view(x.size(0), heads, -1)
    return (v * torch.rsqrt((v * v).mean(-1, keepdim=True) + 1e-6) * weight.double()).view(x.size(0), -1)
