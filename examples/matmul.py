"""Matmul family: the README matmul, the matmul spellings, fp8, batched
(puzzle 11, bmm) and the quantized matmul of puzzle 12."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def readme_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    k, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out


@helion.kernel()
def matmul_ops(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The matmul family in one kernel: @, torch.mm, torch.matmul, hl.dot."""
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            a = x[tile_m, tile_k]
            b = y[tile_k, tile_n]
            acc = hl.dot(a, b, acc=acc)
            acc += (a @ b).float() + torch.mm(a, b).float() - torch.matmul(a, b).float()
        out[tile_m, tile_n] = acc
    return out


@helion.kernel()
def fp8_matmul(x: torch.Tensor, y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """fp8 (e4m3fn or e5m2) inputs, fp32 accumulation, into a given fp32 out."""
    for tile_m, tile_n in hl.tile(out.size()):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(x.size(1)):
            acc = hl.dot(x[tile_m, tile_k], y[tile_k, tile_n], acc=acc)
        out[tile_m, tile_n] = acc
    return out


@helion.kernel()
def batched_dot(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # puzzle 11
    batch, m, k = x.size()
    _, k, n = y.size()
    out = torch.empty([batch, m, n], dtype=x.dtype, device=x.device)
    for tile_batch in hl.tile(batch):
        for tile_m, tile_n in hl.tile([m, n]):
            acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
            for tile_k in hl.tile(k):
                x_tile = x[tile_batch, tile_m, tile_k]
                y_tile = y[tile_batch, tile_k, tile_n]
                acc = acc + torch.matmul(x_tile, y_tile)
            out[tile_batch, tile_m, tile_n] = acc
    return out


@helion.kernel()
def bmm_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    b, m, k = x.size()
    _, _, n = y.size()
    out = torch.empty([b, m, n], dtype=x.dtype, device=x.device)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n]):
        acc = hl.zeros([tile_b, tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.baddbmm(acc, x[tile_b, tile_m, tile_k], y[tile_b, tile_k, tile_n])
        out[tile_b, tile_m, tile_n] = acc
    return out


@helion.kernel()
def quant_dot(scale: torch.Tensor, offset: torch.Tensor, weight: torch.Tensor, activation: torch.Tensor) -> torch.Tensor:  # puzzle 12
    # Get tensor sizes
    n_out, n_groups = scale.size()
    mid, n_in = activation.size()
    # Create output tensor
    out = torch.empty([n_out, n_in], dtype=scale.dtype, device=scale.device)

    # Helper function to extract 4-bit values
    def extract_4bit(x, bit_positions):
        mask = 2**4 - 1
        shifted = x[..., None] >> (bit_positions * 4)
        return shifted & mask

    # Bit positions for extraction
    bit_positions = torch.arange(8, device=scale.device)
    # Use Helion to tile the computation
    for tile_out in hl.tile(n_out):
        for tile_in in hl.tile(n_in):
            # Initialize accumulator
            acc = hl.zeros([tile_out, tile_in], dtype=torch.float32)
            # Get the offset values for this tile
            offset_tile = offset[tile_out]
            # Extract 4-bit values from offsets
            offset_extracted = extract_4bit(offset_tile, bit_positions)
            # Process in chunks across the middle dimension
            for group_idx in range(n_groups):
                # Get scale for this group
                scale_group = scale[tile_out, group_idx]
                # Get weights for this group
                weight_group = weight[tile_out, group_idx]
                # Extract 4-bit values from weights
                weight_extracted = extract_4bit(weight_group, bit_positions)
                # Compute dequantized weights: scale * (weight - offset)
                offset_group = offset_extracted[:, group_idx:group_idx + 1]  # Shape: [tile_out, 1]
                # The puzzle's scale_group[:, None, None] would broadcast to [tile_out, tile_out, 8]; [:, None] is meant.
                dequant_weights = scale_group[:, None] * (weight_extracted - offset_group)
                # Reshape dequantized weights for matrix multiplication
                dequant_weights = dequant_weights.reshape(tile_out.size(0), 8)
                # Get activations for this group
                acts_idx = group_idx * 8 + torch.arange(8, device=scale.device)
                act_group = activation[acts_idx][:, tile_in]
                # Accumulate to result
                acc = acc + torch.matmul(dequant_weights, act_group)
            # Store result
            out[tile_out, tile_in] = acc
    return out


GROUP = 8  # activation rows per group (one per 4-bit value of an int32)


def quant_dot_reference(scale, offset, weight, activation):
    """The puzzle's quant_dot_spec in float64 (any n_out and n_in; 8 groups)."""
    n_out = scale.size(0)
    offset = offset.view(n_out, 1)

    def extract(x):
        over = torch.arange(8, device=x.device) * 4
        mask = 2**4 - 1
        return (x[..., None] >> over) & mask

    scale = scale.double()[..., None].expand(-1, 8, GROUP).contiguous().view(-1, 64)
    offset = extract(offset)[..., None].expand(-1, 1, 8, GROUP).contiguous().view(-1, 64)
    return (scale * (extract(weight).view(-1, 64) - offset)) @ activation.double()


def quant_dot_inputs(n_out, n_in, device, dtype):
    """scale and activation take `dtype`; offset and weight (8 packed 4-bit values each) stay int32."""
    scale = torch.randn(n_out, 8, device=device, dtype=dtype)
    offset = torch.randint(-10, 10, (n_out,), device=device, dtype=torch.int32)
    weight = torch.randint(0, 16, (n_out, 8), device=device, dtype=torch.int32)
    activation = torch.randn(8 * GROUP, n_in, device=device, dtype=dtype)
    return scale, offset, weight, activation
