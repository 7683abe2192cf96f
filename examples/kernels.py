"""Kernels of the end-to-end issue, shared by the CPU and GPU tests.

Each entry of CASES: (name, kernel, make_inputs(device, dtype), reference,
configs). Configs include block sizes that do not divide the extents.
"""
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


def _randn(*shape, device, dtype):
    return torch.randn(*shape, device=device, dtype=dtype)


C = helion.Config
CASES = {
    "readme_matmul": (
        readme_matmul,
        lambda dev, dt: (_randn(100, 70, device=dev, dtype=dt), _randn(70, 50, device=dev, dtype=dt)),
        lambda x, y: (x.double() @ y.double()),
        [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 64, 16], num_warps=8), C(block_sizes=[64, 16, 32], loop_orders=[[1, 0]]),
         C(block_sizes=[128, 64, 64], l2_groupings=[4]), C(block_sizes=[16, 32, 64], num_stages=3),
         C(block_sizes=[64, 64, 16], loop_orders=[[1, 0]], l2_groupings=[2]), C(block_sizes=[32, 32, 32], num_warps=2),
         C(block_sizes=[16, 128, 16]), C(block_sizes=[128, 16, 128], num_stages=1), C(block_sizes=[64, 32, 16], l2_groupings=[8])],
    ),
    "matmul_ops": (
        matmul_ops,
        lambda dev, dt: (_randn(64, 48, device=dev, dtype=dt), _randn(48, 40, device=dev, dtype=dt)),
        lambda x, y: 2 * (x.double() @ y.double()),
        [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 32, 16]), C(block_sizes=[64, 64, 64]), C(block_sizes=[16, 64, 32]),
         C(block_sizes=[32, 16, 16], loop_orders=[[1, 0]]), C(block_sizes=[64, 16, 16], l2_groupings=[2]),
         C(block_sizes=[16, 32, 64], num_warps=2), C(block_sizes=[32, 64, 32], num_stages=3), C(block_sizes=[64, 32, 16], num_warps=8),
         C(block_sizes=[16, 16, 64])],
    ),
    "add_const": (
        add_const,
        lambda dev, dt: (_randn(1000, device=dev, dtype=dt),),
        lambda x: x.double() + 10.0,
        [C(block_sizes=[b]) for b in (1, 2, 16, 32, 64, 128, 256, 512, 1024, 2048)],
    ),
    "broadcast_add": (
        broadcast_add,
        lambda dev, dt: (_randn(1142, device=dev, dtype=dt), _randn(500, device=dev, dtype=dt)),
        lambda x, y: x.double()[None, :] + y.double()[:, None],
        [C(block_sizes=[32, 32]), C(block_sizes=[8, 128]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[1, 256]),
         C(block_sizes=[16, 64], l2_groupings=[4]), C(block_sizes=[128, 8]), C(block_sizes=[32, 32], loop_orders=[[1, 0]], l2_groupings=[2]),
         C(block_sizes=[4, 4]), C(block_sizes=[256, 2], num_warps=8), C(block_sizes=[64, 64], num_warps=2)],
    ),
    "mul_relu": (
        mul_relu,
        lambda dev, dt: (_randn(517, device=dev, dtype=dt), _randn(259, device=dev, dtype=dt)),
        lambda x, y: torch.relu(x.double()[None, :] * y.double()[:, None]),
        [C(block_sizes=[32, 32]), C(block_sizes=[16, 64]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[128, 128]),
         C(block_sizes=[8, 32], l2_groupings=[8]), C(block_sizes=[1, 512]), C(block_sizes=[512, 1]), C(block_sizes=[32, 8], num_warps=2),
         C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[16, 16], num_stages=3)],
    ),
    "mul_relu_backward": (
        mul_relu_backward,
        lambda dev, dt: (_randn(300, 517, device=dev, dtype=dt), _randn(300, device=dev, dtype=dt), _randn(300, 517, device=dev, dtype=dt)),
        mul_relu_backward_reference,
        [C(block_sizes=[32, 32]), C(block_sizes=[16, 64]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[128, 128]),
         C(block_sizes=[8, 32], l2_groupings=[8]), C(block_sizes=[1, 512]), C(block_sizes=[256, 4]), C(block_sizes=[32, 8], num_warps=2),
         C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[16, 16], num_stages=3)],
    ),
    "batched_dot": (
        batched_dot,
        lambda dev, dt: (_randn(3, 40, 24, device=dev, dtype=dt), _randn(3, 24, 36, device=dev, dtype=dt)),
        lambda x, y: x.double() @ y.double(),
        [C(block_sizes=[1, 16, 16, 16]), C(block_sizes=[2, 16, 32, 16]), C(block_sizes=[4, 32, 16, 32], loop_orders=[[1, 0]]),
         C(block_sizes=[1, 64, 64, 16]), C(block_sizes=[2, 32, 32, 32]), C(block_sizes=[1, 16, 64, 32], loop_orders=[[1, 0]]),
         C(block_sizes=[8, 16, 16, 16]), C(block_sizes=[1, 32, 16, 64]), C(block_sizes=[2, 64, 16, 16]), C(block_sizes=[4, 16, 16, 64])],
    ),
    "grid_add": (
        grid_add,
        lambda dev, dt: (_randn(37, device=dev, dtype=dt), _randn(37, device=dev, dtype=dt)),
        lambda a, b: a.double() + b.double(),
        [C(), C(num_warps=1), C(num_warps=2), C(num_warps=4), C(num_warps=8), C(num_stages=1), C(num_stages=3),
         C(num_warps=2, num_stages=2), C(num_warps=1, num_stages=4), C(num_warps=8, num_stages=1)],
    ),
    "pointwise_zoo": (
        pointwise_zoo,
        lambda dev, dt: (_randn(67, 45, device=dev, dtype=dt), _randn(67, 45, device=dev, dtype=dt), 0.75),
        None,  # reference below
        [C(block_sizes=[16, 16]), C(block_sizes=[32, 64]), C(block_sizes=[64, 8], loop_orders=[[1, 0]]), C(block_sizes=[1, 128]),
         C(block_sizes=[128, 1]), C(block_sizes=[8, 8], l2_groupings=[2]), C(block_sizes=[32, 32], num_warps=8),
         C(block_sizes=[4, 64], num_stages=1), C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[2, 16])],
    ),
    "bmm_kernel": (
        bmm_kernel,
        lambda dev, dt: (_randn(3, 33, 40, device=dev, dtype=dt), _randn(3, 40, 20, device=dev, dtype=dt)),
        lambda x, y: x.double() @ y.double(),
        [C(block_sizes=[1, 16, 16, 16]), C(block_sizes=[2, 32, 16, 16]), C(block_sizes=[4, 16, 32, 32], loop_orders=[[2, 1, 0]]),
         C(block_sizes=[1, 64, 32, 16]), C(block_sizes=[2, 16, 16, 64]), C(block_sizes=[1, 32, 32, 32], loop_orders=[[1, 0, 2]]),
         C(block_sizes=[4, 16, 16, 16], l2_groupings=[2]), C(block_sizes=[1, 16, 64, 16]), C(block_sizes=[2, 64, 16, 32]),
         C(block_sizes=[1, 32, 16, 16], num_warps=8)],
    ),
}


def pointwise_zoo_reference(x, y, alpha):
    a, b = x.double(), y.double()
    v = torch.sigmoid(a) + torch.tanh(b) * alpha + torch.nn.functional.silu(a) - torch.nn.functional.gelu(b)
    v = v + torch.exp(a * 0.1) + torch.log(torch.abs(b) + 1.0) + torch.sqrt(torch.abs(a)) * torch.rsqrt(b * b + 1.0)
    v = v + torch.sin(a) * torch.cos(b) + torch.exp2(a * 0.1) + torch.log2(torch.abs(a) + 2.0)
    v = torch.where(a > b, v, -v) + torch.clamp(a, -0.5, 0.5) + torch.maximum(a, b) - torch.minimum(a, b)
    v = v + ((a >= 0) & (b < 0)).double() + (a != b).double() * SCALE + a // 1.0 + a % 0.75
    return v


def reference(name, *args):
    if name == "pointwise_zoo":
        return pointwise_zoo_reference(*args)
    return CASES[name][2](*args)


def tolerance(dtype, name=""):
    if name == "quant_dot":
        # Each output sums 64 products scale * (4-bit - 4-bit) * activation: about 70 in size, and the rounding
        # (tf32 operands; half-precision dequantized weights, per-group products and output) scales with it.
        return (0.25, 2e-2) if dtype == torch.float32 else (2.0, 5e-2)
    if dtype == torch.float32:
        # fp32 matmuls run in tf32, as PyTorch does with allow_tf32.
        return (2e-2, 2e-2) if "matmul" in name or "dot" in name or "bmm" in name else (1e-4, 1e-4)
    return (1e-1, 5e-2)


@helion.kernel()
def conv2d(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:  # puzzle 10
    batch, h, w = x.size()
    kh, kw = k.size()[1:]
    out = torch.empty_like(x)
    x_padded = torch.nn.functional.pad(x, (0, kw, 0, kh, 0, 0), value=0.0)
    for tile_batch in hl.tile(batch):
        for i in range(h):
            for j in range(w):
                patch = x_padded[tile_batch, i:i + kh, j:j + kw]
                out[tile_batch, i, j] = (k[tile_batch] * patch).sum([1, 2])
    return out


def conv2d_reference(x, k):
    b, h, w = x.shape
    kh, kw = k.shape[1:]
    xp = torch.nn.functional.pad(x.double(), (0, kw, 0, kh, 0, 0))
    z = torch.zeros(b, h, w, dtype=torch.float64, device=x.device)
    for i in range(h):
        for j in range(w):
            z[:, i, j] = (k.double() * xp[:, i:i + kh, j:j + kw]).sum((1, 2))
    return z


CASES["conv2d"] = (
    conv2d,
    lambda dev, dt: (_randn(5, 4, 3, device=dev, dtype=dt), _randn(5, 4, 2, device=dev, dtype=dt)),
    conv2d_reference,
    [C(block_sizes=[b], num_warps=w) for b in (1, 2, 4, 8, 16) for w in (1, 4)],
)


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


CASES["quant_dot"] = (
    quant_dot,
    lambda dev, dt: quant_dot_inputs(40, 48, dev, dt),  # n_out, n_in: the puzzle has 32, 32; ragged here
    quant_dot_reference,
    [C(block_sizes=[16, 16]), C(block_sizes=[32, 16]), C(block_sizes=[16, 32], num_warps=2), C(block_sizes=[64, 64]),
     C(block_sizes=[32, 64], num_stages=3), C(block_sizes=[64, 16], num_warps=8), C(block_sizes=[16, 64], num_stages=1),
     C(block_sizes=[32, 32]), C(block_sizes=[128, 16], num_warps=8), C(block_sizes=[16, 128], num_warps=2)],
)
