"""Softmax family: one-pass softmax over a full row, the three-pass puzzle 8,
online softmax; layer norm and RMS norm."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def softmax(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.nn.functional.softmax(x[tile_m, :].float(), dim=1)
    return out


@helion.kernel()
def softmax_three_pass(x: torch.Tensor) -> torch.Tensor:  # puzzle 8
    batch, seq_len = x.size()
    out = torch.empty_like(x)
    for tile_batch in hl.tile(batch):
        max_vals = torch.full_like(tile_batch, float("-inf"), dtype=torch.float32)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            max_vals = torch.maximum(max_vals, torch.max(chunk, dim=1)[0])
        sum_exp = torch.zeros_like(tile_batch, dtype=torch.float32)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            exp_vals = torch.exp(chunk - max_vals[:, None])
            sum_exp += torch.sum(exp_vals, dim=1)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            exp_vals = torch.exp(chunk - max_vals[:, None])
            out[tile_batch, tile_seq] = exp_vals / sum_exp[:, None]
    return out


@helion.kernel()
def softmax_online(x: torch.Tensor) -> torch.Tensor:
    batch, n = x.size()
    out = torch.empty_like(x)
    for tile_b in hl.tile(batch):
        mi = hl.full([tile_b], float("-inf"), dtype=torch.float32)
        di = hl.zeros([tile_b], dtype=torch.float32)
        for tile_n in hl.tile(n):
            values = x[tile_b, tile_n].float()
            local_max = torch.maximum(mi, torch.amax(values, dim=1))
            di = di * torch.exp(mi - local_max) + torch.exp(values - local_max[:, None]).sum(dim=1)
            mi = local_max
        for tile_n in hl.tile(n):
            values = x[tile_b, tile_n].float()
            out[tile_b, tile_n] = torch.exp(values - mi[:, None]) / di[:, None]
    return out


@helion.kernel()
def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        mean = row.mean(dim=-1, keepdim=True)
        var = torch.var(row, dim=-1, keepdim=True, correction=0)
        normed = (row - mean) * torch.rsqrt(var + eps)
        out[tile_m, :] = normed * weight[:].float() + bias[:].float()
    return out


@helion.kernel()
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: hl.constexpr) -> torch.Tensor:  # eps baked in
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        inv = torch.rsqrt(torch.mean(row * row, dim=-1, keepdim=True) + eps)
        out[tile_m, :] = row * inv * weight[:].float()
    return out
