"""Every example kernel with what it takes to check it: an inputs generator,
a float64 torch reference, tolerances and its configs.

The kernels live in their family's file (matmul, pointwise, reductions,
softmax, attention, memory_ops, control_flow, scans, random_ops, jagged, phases); tests/python/test_examples.py runs this registry on the
CPU executor and on the GPU, and run_examples.py from the command line.
Configs include block sizes that do not divide the extents and, for
reductions, looped-reduction configs (`reduction_loops`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

import helion
from attention import attention, attention_reference, flash_scalar
import attention_canonical
import activations
import jagged
import layout_ops
import moe
from control_flow import (collatz_steps, collatz_steps_reference, searchsorted, searchsorted_reference, skip_rows_softmax,
                          skip_rows_softmax_reference)
from memory_ops import cross_entropy_gather, cross_entropy_inputs, histogram, histogram_reference, split_k_matmul
from matmul import batched_dot, bmm_kernel, matmul_ops, quant_dot, quant_dot_inputs, quant_dot_reference, readme_matmul
from random_ops import dropout, dropout_reference
from phases import global_max_normalize, global_max_normalize_reference
from scans import cumsum_long_rows, cumsum_rows, cumsum_rows_reference, segment_sum, segment_sum_reference
from pointwise import (add_const, broadcast_add, embedding, geglu, grid_add, mul_relu, mul_relu_backward,
                       mul_relu_backward_reference, pointwise_zoo, pointwise_zoo_reference, swiglu)
from reductions import (conv2d, conv2d_reference, cross_entropy, long_sum, row_stats, row_stats_reference, row_sum,
                        user_reductions, welford)
from softmax import layer_norm, rms_norm, softmax, softmax_online, softmax_three_pass

C = helion.Config
HALF = (torch.bfloat16, torch.float16)


@dataclass(frozen=True)
class Example:
    name: str
    kernel: helion.Kernel
    inputs: Callable[[str, torch.dtype], tuple]  # (device, dtype) -> kernel arguments
    reference: Callable[..., torch.Tensor]  # the same arguments -> float64 result
    configs: list
    fp32_tol: tuple[float, float] = (1e-4, 1e-4)  # (atol, rtol)
    half_tol: tuple[float, float] = (5e-2, 5e-2)
    out_dtype: int | torch.dtype = 0  # the dtype of that argument, or this dtype
    reduces: bool = False  # its TTIR has a tt.reduce

    def tolerance(self, dtype: torch.dtype) -> tuple[float, float]:
        return self.half_tol if dtype in HALF else self.fp32_tol

    def expected_dtype(self, args: tuple) -> torch.dtype:
        return args[self.out_dtype].dtype if isinstance(self.out_dtype, int) else self.out_dtype

    def looped(self, index: int) -> bool:
        return bool(self.configs[index].get("reduction_loops"))


def _randn(*shape, device, dtype):
    return torch.randn(*shape, device=device, dtype=dtype)


# fp32 dots run in tf32, as PyTorch does with allow_tf32.
TF32 = (2e-2, 2e-2)
# Half-precision elementwise chains and dots round at every step.
HALF_LOOSE = (1e-1, 5e-2)

EXAMPLES: dict[str, Example] = {}


def register(example: Example) -> Example:
    assert example.name not in EXAMPLES, example.name
    EXAMPLES[example.name] = example
    return example


# ---------------------------------------------------------------- matmul
register(Example(
    "readme_matmul", readme_matmul,
    lambda dev, dt: (_randn(100, 70, device=dev, dtype=dt), _randn(70, 50, device=dev, dtype=dt)),
    lambda x, y: (x.double() @ y.double()),
    [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 64, 16], num_warps=8), C(block_sizes=[64, 16, 32], loop_orders=[[1, 0]]),
     C(block_sizes=[128, 64, 64], l2_groupings=[4]), C(block_sizes=[16, 32, 64], num_stages=3),
     C(block_sizes=[64, 64, 16], loop_orders=[[1, 0]], l2_groupings=[2]), C(block_sizes=[32, 32, 32], num_warps=2),
     C(block_sizes=[16, 128, 16]), C(block_sizes=[128, 16, 128], num_stages=1), C(block_sizes=[64, 32, 16], l2_groupings=[8])],
    fp32_tol=TF32, half_tol=HALF_LOOSE))
register(Example(
    "matmul_ops", matmul_ops,
    lambda dev, dt: (_randn(64, 48, device=dev, dtype=dt), _randn(48, 40, device=dev, dtype=dt)),
    lambda x, y: 2 * (x.double() @ y.double()),
    [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 32, 16]), C(block_sizes=[64, 64, 64]), C(block_sizes=[16, 64, 32]),
     C(block_sizes=[32, 16, 16], loop_orders=[[1, 0]]), C(block_sizes=[64, 16, 16], l2_groupings=[2]),
     C(block_sizes=[16, 32, 64], num_warps=2), C(block_sizes=[32, 64, 32], num_stages=3), C(block_sizes=[64, 32, 16], num_warps=8),
     C(block_sizes=[16, 16, 64])],
    fp32_tol=TF32, half_tol=HALF_LOOSE))
register(Example(
    "batched_dot", batched_dot,
    lambda dev, dt: (_randn(3, 40, 24, device=dev, dtype=dt), _randn(3, 24, 36, device=dev, dtype=dt)),
    lambda x, y: x.double() @ y.double(),
    [C(block_sizes=[1, 16, 16, 16]), C(block_sizes=[2, 16, 32, 16]), C(block_sizes=[4, 32, 16, 32], loop_orders=[[1, 0]]),
     C(block_sizes=[1, 64, 64, 16]), C(block_sizes=[2, 32, 32, 32]), C(block_sizes=[1, 16, 64, 32], loop_orders=[[1, 0]]),
     C(block_sizes=[8, 16, 16, 16]), C(block_sizes=[1, 32, 16, 64]), C(block_sizes=[2, 64, 16, 16]), C(block_sizes=[4, 16, 16, 64])],
    fp32_tol=TF32, half_tol=HALF_LOOSE))
register(Example(
    "bmm_kernel", bmm_kernel,
    lambda dev, dt: (_randn(3, 33, 40, device=dev, dtype=dt), _randn(3, 40, 20, device=dev, dtype=dt)),
    lambda x, y: x.double() @ y.double(),
    [C(block_sizes=[1, 16, 16, 16]), C(block_sizes=[2, 32, 16, 16]), C(block_sizes=[4, 16, 32, 32], loop_orders=[[2, 1, 0]]),
     C(block_sizes=[1, 64, 32, 16]), C(block_sizes=[2, 16, 16, 64]), C(block_sizes=[1, 32, 32, 32], loop_orders=[[1, 0, 2]]),
     C(block_sizes=[4, 16, 16, 16], l2_groupings=[2]), C(block_sizes=[1, 16, 64, 16]), C(block_sizes=[2, 64, 16, 32]),
     C(block_sizes=[1, 32, 16, 16], num_warps=8)],
    fp32_tol=TF32, half_tol=HALF_LOOSE))
register(Example(
    "quant_dot", quant_dot,
    lambda dev, dt: quant_dot_inputs(40, 48, dev, dt),  # n_out, n_in: the puzzle has 32, 32; ragged here
    quant_dot_reference,
    [C(block_sizes=[16, 16]), C(block_sizes=[32, 16]), C(block_sizes=[16, 32], num_warps=2), C(block_sizes=[64, 64]),
     C(block_sizes=[32, 64], num_stages=3), C(block_sizes=[64, 16], num_warps=8), C(block_sizes=[16, 64], num_stages=1),
     C(block_sizes=[32, 32]), C(block_sizes=[128, 16], num_warps=8), C(block_sizes=[16, 128], num_warps=2)],
    # Each output sums 64 products scale * (4-bit - 4-bit) * activation: about 70 in size, and the rounding
    # (tf32 operands; half-precision dequantized weights, per-group products and output) scales with it.
    fp32_tol=(0.25, 2e-2), half_tol=(2.0, 5e-2), reduces=True))

# ---------------------------------------------------------------- pointwise
register(Example(
    "add_const", add_const,
    lambda dev, dt: (_randn(1000, device=dev, dtype=dt),),
    lambda x: x.double() + 10.0,
    [C(block_sizes=[b]) for b in (1, 2, 16, 32, 64, 128, 256, 512, 1024, 2048)],
    half_tol=HALF_LOOSE))
register(Example(
    "broadcast_add", broadcast_add,
    lambda dev, dt: (_randn(1142, device=dev, dtype=dt), _randn(500, device=dev, dtype=dt)),
    lambda x, y: x.double()[None, :] + y.double()[:, None],
    [C(block_sizes=[32, 32]), C(block_sizes=[8, 128]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[1, 256]),
     C(block_sizes=[16, 64], l2_groupings=[4]), C(block_sizes=[128, 8]), C(block_sizes=[32, 32], loop_orders=[[1, 0]], l2_groupings=[2]),
     C(block_sizes=[4, 4]), C(block_sizes=[256, 2], num_warps=8), C(block_sizes=[64, 64], num_warps=2)],
    half_tol=HALF_LOOSE))
register(Example(
    "mul_relu", mul_relu,
    lambda dev, dt: (_randn(517, device=dev, dtype=dt), _randn(259, device=dev, dtype=dt)),
    lambda x, y: torch.relu(x.double()[None, :] * y.double()[:, None]),
    [C(block_sizes=[32, 32]), C(block_sizes=[16, 64]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[128, 128]),
     C(block_sizes=[8, 32], l2_groupings=[8]), C(block_sizes=[1, 512]), C(block_sizes=[512, 1]), C(block_sizes=[32, 8], num_warps=2),
     C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[16, 16], num_stages=3)],
    half_tol=HALF_LOOSE))
register(Example(
    "mul_relu_backward", mul_relu_backward,
    lambda dev, dt: (_randn(300, 517, device=dev, dtype=dt), _randn(300, device=dev, dtype=dt), _randn(300, 517, device=dev, dtype=dt)),
    mul_relu_backward_reference,
    [C(block_sizes=[32, 32]), C(block_sizes=[16, 64]), C(block_sizes=[64, 16], loop_orders=[[1, 0]]), C(block_sizes=[128, 128]),
     C(block_sizes=[8, 32], l2_groupings=[8]), C(block_sizes=[1, 512]), C(block_sizes=[256, 4]), C(block_sizes=[32, 8], num_warps=2),
     C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[16, 16], num_stages=3)],
    half_tol=HALF_LOOSE))
register(Example(
    "grid_add", grid_add,
    lambda dev, dt: (_randn(37, device=dev, dtype=dt), _randn(37, device=dev, dtype=dt)),
    lambda a, b: a.double() + b.double(),
    [C(), C(num_warps=1), C(num_warps=2), C(num_warps=4), C(num_warps=8), C(num_stages=1), C(num_stages=3),
     C(num_warps=2, num_stages=2), C(num_warps=1, num_stages=4), C(num_warps=8, num_stages=1)],
    half_tol=HALF_LOOSE))
register(Example(
    "pointwise_zoo", pointwise_zoo,
    lambda dev, dt: (_randn(67, 45, device=dev, dtype=dt), _randn(67, 45, device=dev, dtype=dt), 0.75),
    pointwise_zoo_reference,
    [C(block_sizes=[16, 16]), C(block_sizes=[32, 64]), C(block_sizes=[64, 8], loop_orders=[[1, 0]]), C(block_sizes=[1, 128]),
     C(block_sizes=[128, 1]), C(block_sizes=[8, 8], l2_groupings=[2]), C(block_sizes=[32, 32], num_warps=8),
     C(block_sizes=[4, 64], num_stages=1), C(block_sizes=[64, 64], loop_orders=[[1, 0]], l2_groupings=[4]), C(block_sizes=[2, 16])],
    half_tol=HALF_LOOSE))
register(Example(
    "embedding", embedding,
    lambda d, t: (torch.randint(0, 500, (300,), device=d), torch.randn(500, 96, device=d, dtype=t)),
    lambda idx, w: w.double()[idx],
    [C(block_sizes=[16, 32]), C(block_sizes=[32, 128]), C(block_sizes=[64, 16]), C(block_sizes=[1, 128]), C(block_sizes=[128, 64]),
     C(block_sizes=[8, 8]), C(block_sizes=[256, 32], num_warps=8), C(block_sizes=[16, 16], loop_orders=[[1, 0]]),
     C(block_sizes=[32, 32], l2_groupings=[4]), C(block_sizes=[4, 256])],
    out_dtype=1))
for _name, _fn, _ref in (("swiglu", swiglu, lambda a, b: torch.nn.functional.silu(a.double()) * b.double()),
                         ("geglu", geglu, lambda a, b: torch.nn.functional.gelu(a.double(), approximate="tanh") * b.double())):
    register(Example(
        _name, _fn,
        lambda d, t: (torch.randn(70, 300, device=d, dtype=t), torch.randn(70, 300, device=d, dtype=t)),
        _ref,
        [C(block_sizes=[16, 64]), C(block_sizes=[32, 128]), C(block_sizes=[64, 16]), C(block_sizes=[1, 512]), C(block_sizes=[128, 8]),
         C(block_sizes=[8, 8]), C(block_sizes=[4, 256], num_warps=8), C(block_sizes=[16, 16], loop_orders=[[1, 0]]),
         C(block_sizes=[32, 32], l2_groupings=[4]), C(block_sizes=[2, 1024])]))

# ---------------------------------------------------------------- activations (examples/activations.py)
_ACT_CONFIGS = [C(block_sizes=[16, 64]), C(block_sizes=[32, 128]), C(block_sizes=[1, 256]), C(block_sizes=[64, 16], loop_orders=[[1, 0]])]
register(Example(
    "mish_softplus_gelu", activations.mish_softplus_gelu,
    lambda d, t: (_randn(70, 300, device=d, dtype=t) * 4, 0.7),
    activations.mish_softplus_gelu_reference, _ACT_CONFIGS, half_tol=HALF_LOOSE))
register(Example(
    "bias_activations", activations.bias_activations,
    lambda d, t: (_randn(70, 300, device=d, dtype=t) * 4, _randn(300, device=d, dtype=t)),
    activations.bias_activations_reference, _ACT_CONFIGS, half_tol=HALF_LOOSE, out_dtype=torch.float32))
register(Example(
    "head_rms_norm", activations.head_rms_norm,
    lambda d, t: (_randn(37, 256, device=d, dtype=t), _randn(64, device=d, dtype=t), 4),
    activations.head_rms_norm_reference,
    [C(block_sizes=[1]), C(block_sizes=[4]), C(block_sizes=[16], num_warps=8), C(block_sizes=[64])],
    fp32_tol=(1e-4, 1e-4), half_tol=HALF_LOOSE, reduces=True))

# ---------------------------------------------------------------- reductions
# Configs with reduction_loops roll the row into a loop of chunks of that size.
register(Example(
    "row_sum", row_sum,
    lambda d, t: (torch.randn(37, 1000, device=d, dtype=t),),
    lambda x: x.double().sum(-1),
    [C(block_sizes=[1]), C(block_sizes=[4]), C(block_sizes=[16], reduction_loops=[64]), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[8], reduction_loops=[256]), C(block_sizes=[32]), C(block_sizes=[64]), C(block_sizes=[1], reduction_loops=[512]),
     C(block_sizes=[4], num_warps=1), C(block_sizes=[16], num_stages=3)],
    reduces=True))
register(Example(
    "long_sum", long_sum,
    lambda d, t: (torch.randn(4, 2000, device=d, dtype=t),),
    lambda x: x.double().sum(1),
    [C(block_sizes=[1, 256]), C(block_sizes=[2, 512]), C(block_sizes=[4, 128]), C(block_sizes=[1, 1024]),
     C(block_sizes=[8, 64]), C(block_sizes=[2, 2048]), C(block_sizes=[4, 32], num_warps=2),
     C(block_sizes=[1, 16]), C(block_sizes=[2, 256], num_stages=3), C(block_sizes=[4, 512], num_warps=8)],
    reduces=True))
register(Example(
    "row_stats", row_stats,
    lambda d, t: (torch.randn(19, 300, device=d, dtype=t),),
    row_stats_reference,
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[32]), C(block_sizes=[8]),
     C(block_sizes=[16], reduction_loops=[128]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[32], reduction_loops=[64]), C(block_sizes=[4], num_stages=1), C(block_sizes=[8], num_warps=1)],
    fp32_tol=(1e-3, 1e-3), half_tol=(2e-1, 5e-2), out_dtype=torch.float32, reduces=True))
register(Example(
    "user_reductions", user_reductions,
    lambda d, t: (torch.randn(21, 300, device=d, dtype=t),),
    lambda x: torch.stack([x.double().abs().amax(1), x.double().amax(1)], dim=1),
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[32]), C(block_sizes=[8]),
     C(block_sizes=[16], reduction_loops=[128]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[32], reduction_loops=[64]), C(block_sizes=[4], num_stages=1), C(block_sizes=[8], num_warps=1)],
    out_dtype=torch.float32, reduces=True))
register(Example(
    "welford", welford,
    lambda d, t: (torch.randn(13, 3000, device=d, dtype=t) + 3.0,),
    lambda x: torch.stack([x.double().mean(1), x.double().var(1, correction=0)], dim=1),
    [C(block_sizes=[1, 256]), C(block_sizes=[2, 512]), C(block_sizes=[4, 128]), C(block_sizes=[1, 1024]), C(block_sizes=[8, 64]),
     C(block_sizes=[2, 2048]), C(block_sizes=[4, 32], num_warps=2), C(block_sizes=[1, 16]), C(block_sizes=[2, 256], num_stages=3),
     C(block_sizes=[4, 512], num_warps=8)],
    out_dtype=torch.float32, reduces=True))
register(Example(
    "cross_entropy", cross_entropy,
    lambda d, t: (torch.randn(37, 1000, device=d, dtype=t), torch.randint(0, 1000, (37,), device=d)),
    lambda logits, labels: torch.nn.functional.cross_entropy(logits.double(), labels),
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128]), C(block_sizes=[8]),
     C(block_sizes=[16], reduction_loops=[256]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[32], reduction_loops=[64]), C(block_sizes=[4], num_stages=1), C(block_sizes=[8], num_warps=1)],
    out_dtype=torch.float32, reduces=True))
register(Example(
    "conv2d", conv2d,
    lambda dev, dt: (_randn(5, 4, 3, device=dev, dtype=dt), _randn(5, 4, 2, device=dev, dtype=dt)),
    conv2d_reference,
    [C(block_sizes=[b], num_warps=w) for b in (1, 2, 4, 8, 16) for w in (1, 4)],
    half_tol=HALF_LOOSE, reduces=True))

# ---------------------------------------------------------------- explicit memory ops
# The split-K programs add into one fp32 output with hl.atomic_add (split_k parts of K each).
register(Example(
    "split_k_matmul", split_k_matmul,
    lambda dev, dt: (_randn(70, 1000, device=dev, dtype=dt), _randn(1000, 40, device=dev, dtype=dt), 4),
    lambda x, y, split_k: x.double() @ y.double(),
    [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 32, 32]), C(block_sizes=[64, 16, 64], l2_groupings=[2]),
     C(block_sizes=[16, 64, 128], loop_orders=[[1, 0, 2]]), C(block_sizes=[32, 16, 32], num_warps=2),
     C(block_sizes=[64, 64, 16], num_stages=3)],
    fp32_tol=(1e-1, 2e-2), half_tol=(5e-1, 5e-2), out_dtype=torch.float32))  # sums of 1000 tf32 / half products
register(Example(
    "histogram", histogram,
    lambda dev, dt: (torch.randint(0, 37, (300, 70), device=dev), 37),
    histogram_reference,
    [C(block_sizes=[16, 32]), C(block_sizes=[1, 64]), C(block_sizes=[64, 8], loop_orders=[[1, 0]]), C(block_sizes=[128, 128]),
     C(block_sizes=[8, 8], l2_groupings=[4]), C(block_sizes=[32, 32], num_warps=8)],
    fp32_tol=(0, 0), half_tol=(0, 0), out_dtype=torch.int32))
register(Example(
    "cross_entropy_gather", cross_entropy_gather,
    lambda dev, dt: cross_entropy_inputs(37, 1000, dev, dt),
    lambda logits, labels: torch.nn.functional.cross_entropy(logits.double(), labels),
    [C(block_sizes=[4, 128]), C(block_sizes=[1, 256]), C(block_sizes=[16, 64], num_warps=2), C(block_sizes=[8, 512], num_warps=8),
     C(block_sizes=[2, 1024]), C(block_sizes=[32, 32], num_stages=3)],
    out_dtype=torch.float32, reduces=True))

# ---------------------------------------------------------------- scans and random numbers (no reduction_loops: a scan needs its whole row)
register(Example(
    "cumsum_rows", cumsum_rows,
    lambda d, t: (torch.randn(13, 300, device=d, dtype=t),),
    cumsum_rows_reference,
    [C(block_sizes=[1]), C(block_sizes=[4]), C(block_sizes=[2], num_warps=8), C(block_sizes=[8], num_warps=2),
     C(block_sizes=[16], num_stages=1), C(block_sizes=[32])],
    fp32_tol=(1e-4, 1e-5)))
register(Example(
    "cumsum_long_rows", cumsum_long_rows,
    lambda d, t: (torch.randn(7, 3000, device=d, dtype=t),),
    lambda x: x.double().cumsum(1),
    [C(block_sizes=[2, 64]), C(block_sizes=[1, 512]), C(block_sizes=[4, 128], num_warps=8), C(block_sizes=[8, 32]),
     C(block_sizes=[1, 1024], num_stages=3), C(block_sizes=[2, 256], num_warps=2)],
    fp32_tol=(1e-4, 1e-5), reduces=True))
register(Example(
    "segment_sum", segment_sum,
    lambda d, t: (torch.randn(21, 500, device=d, dtype=t), (torch.rand(21, 500, device=d) < 0.2).to(torch.int32)),
    segment_sum_reference,
    [C(block_sizes=[1]), C(block_sizes=[4]), C(block_sizes=[2], num_warps=8), C(block_sizes=[8], num_warps=2),
     C(block_sizes=[16], num_stages=1), C(block_sizes=[32])]))
# The mask is the same for every config: hl.rand depends on (seed, position) only.
register(Example(
    "dropout", dropout,
    lambda d, t: (torch.randn(100, 77, device=d, dtype=t), 0.3, 1234),
    dropout_reference,
    [C(block_sizes=[16, 16]), C(block_sizes=[64, 8], loop_orders=[[1, 0]]), C(block_sizes=[8, 128], num_warps=8),
     C(block_sizes=[32, 32], l2_groupings=[4]), C(block_sizes=[1, 64]), C(block_sizes=[128, 4], num_warps=2)]))

# ---------------------------------------------------------------- softmax and norms
_NORM_CONFIGS = [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128], num_warps=8), C(block_sizes=[8]),
                 C(block_sizes=[16], reduction_loops=[64]), C(block_sizes=[1], num_warps=2), C(block_sizes=[2], num_stages=1),
                 C(block_sizes=[32], reduction_loops=[512]), C(block_sizes=[4], num_warps=1), C(block_sizes=[1], num_warps=16)]


def _softmax_ref(x):
    return torch.softmax(x.double(), dim=1)


register(Example(
    "softmax", softmax,
    lambda d, t: (torch.randn(33, 1000, device=d, dtype=t),),
    _softmax_ref,
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128], num_warps=8), C(block_sizes=[8]),
     C(block_sizes=[1], reduction_loops=[64]), C(block_sizes=[16]), C(block_sizes=[2], num_stages=1),
     C(block_sizes=[4], reduction_loops=[256], num_warps=1), C(block_sizes=[32]), C(block_sizes=[1], num_warps=16)],
    reduces=True))
register(Example(
    "softmax_three_pass", softmax_three_pass,
    lambda d, t: (torch.randn(4, 200, device=d, dtype=t),),
    _softmax_ref,
    [C(block_sizes=[1, 64]), C(block_sizes=[2, 32]), C(block_sizes=[4, 128]), C(block_sizes=[1, 256]),
     C(block_sizes=[4, 16]), C(block_sizes=[2, 64], num_warps=2), C(block_sizes=[1, 32]),
     C(block_sizes=[4, 64], num_stages=3), C(block_sizes=[2, 128]), C(block_sizes=[1, 16])],
    reduces=True))
register(Example(
    "softmax_online", softmax_online,
    lambda d, t: (torch.randn(6, 3000, device=d, dtype=t),),
    _softmax_ref,
    [C(block_sizes=[1, 512]), C(block_sizes=[2, 256]), C(block_sizes=[4, 1024]), C(block_sizes=[1, 128]),
     C(block_sizes=[8, 64]), C(block_sizes=[2, 2048]), C(block_sizes=[1, 4096]), C(block_sizes=[4, 256], num_warps=8),
     C(block_sizes=[2, 512], num_stages=3), C(block_sizes=[1, 32])],
    reduces=True))
register(Example(
    "layer_norm", layer_norm,
    lambda d, t: (torch.randn(30, 700, device=d, dtype=t), torch.randn(700, device=d, dtype=t),
                  torch.randn(700, device=d, dtype=t), 1e-5),
    lambda x, w, b, eps: torch.nn.functional.layer_norm(x.double(), (x.shape[1],), w.double(), b.double(), eps),
    _NORM_CONFIGS, reduces=True))
register(Example(
    "rms_norm", rms_norm,
    lambda d, t: (torch.randn(30, 700, device=d, dtype=t), torch.randn(700, device=d, dtype=t), 1e-6),
    lambda x, w, eps: x.double() * torch.rsqrt((x.double() ** 2).mean(-1, keepdim=True) + eps) * w.double(),
    _NORM_CONFIGS, reduces=True))

# ---------------------------------------------------------------- attention
register(Example(
    "flash_scalar", flash_scalar,
    lambda d, t: tuple(torch.randn(200, device=d, dtype=t) for _ in range(3)),
    lambda q, k, v: (v.double()[None, :] * torch.softmax(q.double()[:, None] * k.double()[None, :], 1)).sum(1),
    [C(block_sizes=[16, 16]), C(block_sizes=[32, 64]), C(block_sizes=[64, 32]), C(block_sizes=[8, 128]),
     C(block_sizes=[128, 8]), C(block_sizes=[16, 256]), C(block_sizes=[256, 16]), C(block_sizes=[32, 32], num_warps=2),
     C(block_sizes=[4, 64]), C(block_sizes=[64, 64], num_warps=8)],
    reduces=True))
for _causal in (False, True):
    register(Example(
        f"attention{'_causal' if _causal else ''}", attention,
        (lambda c: lambda d, t: (torch.randn(2, 100, 64, device=d, dtype=t), torch.randn(2, 100, 64, device=d, dtype=t),
                                  torch.randn(2, 100, 64, device=d, dtype=t), c))(_causal),
        attention_reference,
        [C(block_sizes=[16, 16]), C(block_sizes=[32, 16]), C(block_sizes=[16, 32]), C(block_sizes=[64, 32]),
         C(block_sizes=[32, 64], num_warps=8), C(block_sizes=[128, 16]), C(block_sizes=[16, 128]), C(block_sizes=[64, 64], num_stages=3),
         C(block_sizes=[32, 32], num_warps=2), C(block_sizes=[128, 64], num_warps=8)],
        fp32_tol=TF32, half_tol=(6e-2, 6e-2), reduces=True))
    # The seeds' 3-d form (bmm/baddbmm on [1, M, N] tiles; helion-drop-unit-dims makes it 2-d).
    # Its scores round to the input dtype as torch.bmm does, hence the looser half tolerance.
    register(Example(
        f"attention_canonical{'_causal' if _causal else ''}", attention_canonical.attention,
        (lambda c: lambda d, t: (torch.randn(2, 100, 64, device=d, dtype=t), torch.randn(2, 100, 64, device=d, dtype=t),
                                  torch.randn(2, 100, 64, device=d, dtype=t), c))(_causal),
        attention_canonical.attention_reference,
        [C(block_sizes=[16, 16]), C(block_sizes=[32, 16]), C(block_sizes=[16, 32]), C(block_sizes=[64, 32]),
         C(block_sizes=[32, 64], num_warps=8), C(block_sizes=[64, 64], num_stages=3), C(block_sizes=[128, 64], num_warps=8)],
        fp32_tol=TF32, half_tol=(1e-1, 1e-1), reduces=True))

# ---------------------------------------------------------------- data-dependent control flow
register(Example(
    "skip_rows_softmax", skip_rows_softmax,
    lambda d, t: (torch.randn(20, 300, device=d, dtype=t), (torch.rand(20, device=d) > 0.5).to(torch.int32)),
    skip_rows_softmax_reference,
    [C(), C(reduction_loops=[64]), C(num_warps=8), C(reduction_loops=[128], num_warps=2), C(reduction_loops=[16])],
    reduces=True))
register(Example(
    "searchsorted", searchsorted,
    lambda d, t: (torch.sort(torch.randn(500, device=d, dtype=t)).values, torch.randn(77, device=d, dtype=t)),
    searchsorted_reference,
    [C(block_sizes=[16]), C(block_sizes=[64]), C(block_sizes=[128], num_warps=8), C(block_sizes=[32], num_warps=2)],
    fp32_tol=(0, 0), half_tol=(0, 0), out_dtype=torch.int64, reduces=True))
register(Example(
    "collatz_steps", collatz_steps,
    lambda d, t: (torch.randint(1, 1000, (64,), device=d),),
    collatz_steps_reference,
    [C(), C(num_warps=1)],
    fp32_tol=(0, 0), half_tol=(0, 0)))

# ---------------------------------------------------------------- jagged rows (examples/jagged.py): inner loops over loaded bounds
_JAGGED = lambda d, t: jagged.jagged_inputs(9, 40, 30, d, t)  # noqa: E731
_JAGGED_CONFIGS = [C(block_sizes=[16, 8]), C(block_sizes=[64, 1]), C(block_sizes=[8, 32], num_warps=2),
                   C(block_sizes=[32, 16], num_stages=3), C(block_sizes=[64, 64], num_warps=8), C(block_sizes=[4, 4])]
register(Example("jagged_sum", jagged.jagged_sum, _JAGGED, jagged.jagged_sum_reference, _JAGGED_CONFIGS, reduces=True))
register(Example("jagged_mean", jagged.jagged_mean, _JAGGED, jagged.jagged_mean_reference,
                 _JAGGED_CONFIGS[:-1] + [C(block_sizes=[16, 8], l2_groupings=[4])], reduces=True))
register(Example(
    "jagged_softmax", jagged.jagged_softmax, _JAGGED, jagged.jagged_softmax_reference,
    [C(block_sizes=[16, 8, 8]), C(block_sizes=[64, 1, 16]), C(block_sizes=[8, 32, 4], num_warps=2),
     C(block_sizes=[32, 16, 16], num_stages=3), C(block_sizes=[64, 64, 64], num_warps=8), C(block_sizes=[4, 4, 32])],
    reduces=True))
register(Example(
    "jagged_layer_norm", jagged.jagged_layer_norm, _JAGGED, jagged.jagged_layer_norm_reference,
    [C(block_sizes=[4, 8, 16, 8, 16, 8, 16]), C(block_sizes=[1, 32, 8, 32, 8, 32, 8]),
     C(block_sizes=[16, 16, 64, 16, 64, 16, 64], num_warps=8), C(block_sizes=[8, 4, 32, 4, 32, 4, 32], num_stages=3)],
    reduces=True))
register(Example(
    "segment_max", jagged.segment_max, lambda d, t: jagged.segment_max_inputs(100, 30, 10, d, t),
    jagged.segment_max_reference, _JAGGED_CONFIGS, fp32_tol=(0, 0), half_tol=(0, 0), reduces=True))
register(Example(
    "grouped_gemm", jagged.grouped_gemm, lambda d, t: jagged.grouped_gemm_inputs(5, 48, 40, 40, d, t),
    jagged.grouped_gemm_reference,
    [C(block_sizes=[16, 16, 16]), C(block_sizes=[32, 64, 16], num_warps=8), C(block_sizes=[64, 16, 32], num_stages=3),
     C(block_sizes=[16, 32, 64], pid_type="persistent_blocked"), C(block_sizes=[32, 32, 16], range_unroll_factors=[0, 2, 0, 0]),
     C(block_sizes=[64, 64, 64], pid_type="persistent_interleaved", num_warps=8)],
    fp32_tol=TF32, half_tol=HALF_LOOSE))

register(Example(
    "jagged_attention", jagged.jagged_attention, lambda d, t: jagged.jagged_attention_inputs(5, 2, 32, 70, d, t),
    jagged.jagged_attention_reference,
    [C(block_sizes=[16, 16]), C(block_sizes=[64, 32], num_warps=8), C(block_sizes=[32, 64], num_stages=3),
     C(block_sizes=[16, 32], pid_type="persistent_interleaved"), C(block_sizes=[64, 64], num_warps=4, num_stages=2)],
    fp32_tol=TF32, half_tol=HALF_LOOSE, reduces=True))

register(Example(
    "rope", layout_ops.rope, lambda d, t: layout_ops.rope_inputs(37, 4, 64, d, t), layout_ops.rope_reference,
    [C(block_sizes=[16, 2]), C(block_sizes=[64, 4], num_warps=8), C(block_sizes=[1, 1]), C(block_sizes=[32, 1], num_warps=2),
     C(block_sizes=[8, 4], loop_orders=[[1, 0]])],
    half_tol=(5e-2, 5e-2)))
register(Example(
    "concat_last", layout_ops.concat_last, lambda d, t: (_randn(50, 24, device=d, dtype=t), _randn(50, 40, device=d, dtype=t)),
    layout_ops.concat_reference,
    [C(block_sizes=[16]), C(block_sizes=[64], num_warps=8), C(block_sizes=[1]), C(block_sizes=[8], reduction_loops=[8, 16])],
    fp32_tol=(0, 0), half_tol=(0, 0)))
register(Example(
    "moe_matmul", moe.moe_matmul, lambda d, t: moe.moe_inputs(70, 32, 48, 4, d, t), moe.moe_reference,
    [C(block_sizes=[16, 16, 16]), C(block_sizes=[64, 64, 32], num_warps=8, num_stages=3), C(block_sizes=[32, 16, 32]),
     C(block_sizes=[16, 32, 16], pid_type="persistent_interleaved"), C(block_sizes=[16, 16, 16], indexing="tensor_descriptor")],
    fp32_tol=TF32, half_tol=HALF_LOOSE))

# ---------------------------------------------------------------- several device loops (phases)
register(Example(
    "global_max_normalize", global_max_normalize, lambda d, t: (_randn(300, 70, device=d, dtype=t),),
    global_max_normalize_reference,
    [C(block_sizes=[16, 32]), C(block_sizes=[64, 8], num_warps=[8, 2]), C(block_sizes=[4, 16], reduction_loops=[None, 32, 64]),
     C(block_sizes=[32, 32], num_stages=3), C(block_sizes=[1, 128], reduction_loops=[None, None, 128], num_warps=[1, 8])],
    half_tol=(1e-2, 1e-2), reduces=True))
