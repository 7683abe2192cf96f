"""Pointwise family: puzzles 1-4, hl.grid, a zoo of elementwise torch ops,
gated activations and an embedding gather."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The elementwise add of the benchmarks, as plain user code with no config."""
    out = torch.empty_like(x)
    for tile in hl.tile(out.size()):
        out[tile] = x[tile] + y[tile]
    return out


@helion.kernel()
def add_const(x: torch.Tensor) -> torch.Tensor:  # puzzle 1
    TILE_RANGE = x.size()
    out = torch.empty_like(x)
    for tile_n in hl.tile(TILE_RANGE):
        x_tile = x[tile_n]
        out[tile_n] = x_tile + 10.0
    return out


@helion.kernel()
def broadcast_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # puzzle 2
    n0 = x.size(0)
    n1 = y.size(0)
    out = x.new_empty(n1, n0)
    for tile_i, tile_j in hl.tile([n1, n0]):
        y_tile = y[tile_i]
        x_tile = x[tile_j]
        out[tile_i, tile_j] = y_tile[:, None] + x_tile[None, :]
    return out


@helion.kernel()
def mul_relu(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # puzzle 3
    n0 = x.size(0)
    n1 = y.size(0)
    out = torch.empty([n1, n0], dtype=x.dtype, device=x.device)
    for tile_i, tile_j in hl.tile([n1, n0]):
        y_tile = y[tile_i]
        x_tile = x[tile_j]
        out[tile_i, tile_j] = torch.relu(y_tile[:, None] * x_tile[None, :])
    return out


@helion.kernel()
def mul_relu_backward(x: torch.Tensor, y: torch.Tensor, dz: torch.Tensor) -> torch.Tensor:  # puzzle 4
    n0 = x.size(1)
    n1 = x.size(0)
    dx = torch.empty_like(x)
    for tile_i, tile_j in hl.tile([n1, n0]):
        x_tile = x[tile_i, tile_j]
        y_tile = y[tile_i]
        dz_tile = dz[tile_i, tile_j]
        relu_mask = (x_tile * y_tile[:, None]) > 0
        dx[tile_i, tile_j] = dz_tile * relu_mask * y_tile[:, None]
    return dx


def mul_relu_backward_reference(x, y, dz):
    x = x.double().clone().requires_grad_(True)
    z = torch.relu(x * y.double()[:, None])
    (grad_x,) = torch.autograd.grad(z, [x], dz.double())
    return grad_x


@helion.kernel()
def grid_add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # hl.grid, scalar indices
    result = torch.zeros_like(a)
    for i in hl.grid(a.size(0)):
        result[i] = a[i] + b[i]
    return result


SCALE = 0.5


@helion.kernel()
def pointwise_zoo(x: torch.Tensor, y: torch.Tensor, alpha: float) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        a = x[tile_m, tile_n].float()
        b = y[tile_m, tile_n].float()
        v = torch.sigmoid(a) + torch.tanh(b) * alpha + torch.nn.functional.silu(a) - torch.nn.functional.gelu(b)
        v = v + torch.exp(a * 0.1) + torch.log(torch.abs(b) + 1.0) + torch.sqrt(torch.abs(a)) * torch.rsqrt(b * b + 1.0)
        v = v + torch.sin(a) * torch.cos(b) + torch.exp2(a * 0.1) + torch.log2(torch.abs(a) + 2.0)
        v = torch.where(a > b, v, -v) + torch.clamp(a, -0.5, 0.5) + torch.maximum(a, b) - torch.minimum(a, b)
        v = v + ((a >= 0) & (b < 0)).float() + (a != b).to(torch.float32) * SCALE + a // 1.0 + a % 0.75
        out[tile_m, tile_n] = v
    return out


def pointwise_zoo_reference(x, y, alpha):
    a, b = x.double(), y.double()
    v = torch.sigmoid(a) + torch.tanh(b) * alpha + torch.nn.functional.silu(a) - torch.nn.functional.gelu(b)
    v = v + torch.exp(a * 0.1) + torch.log(torch.abs(b) + 1.0) + torch.sqrt(torch.abs(a)) * torch.rsqrt(b * b + 1.0)
    v = v + torch.sin(a) * torch.cos(b) + torch.exp2(a * 0.1) + torch.log2(torch.abs(a) + 2.0)
    v = torch.where(a > b, v, -v) + torch.clamp(a, -0.5, 0.5) + torch.maximum(a, b) - torch.minimum(a, b)
    v = v + ((a >= 0) & (b < 0)).double() + (a != b).double() * SCALE + a // 1.0 + a % 0.75
    return v


@helion.kernel()
def embedding(idx: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """out[i, :] = weight[idx[i], :] (a gather)."""
    n = idx.size(0)
    d = weight.size(1)
    out = torch.empty([n, d], dtype=weight.dtype, device=weight.device)
    for tile_n, tile_d in hl.tile([n, d]):
        out[tile_n, tile_d] = weight[idx[tile_n], tile_d]
    return out


@helion.kernel()
def swiglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(a)
    for tile_m, tile_n in hl.tile(a.size()):
        x = a[tile_m, tile_n].float()
        out[tile_m, tile_n] = torch.nn.functional.silu(x) * b[tile_m, tile_n]
    return out


@helion.kernel()
def geglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(a)
    for tile_m, tile_n in hl.tile(a.size()):
        x = a[tile_m, tile_n].float()
        out[tile_m, tile_n] = torch.nn.functional.gelu(x, approximate="tanh") * b[tile_m, tile_n]
    return out
