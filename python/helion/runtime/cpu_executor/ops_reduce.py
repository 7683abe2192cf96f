"""tt.reduce (what the lowering emits) and tt.scan (kept for test_scan).

A combine region made of one known op runs as the matching torch reduction;
any other region runs vectorized on whole tensors: a pairwise tree along the
axis (reduce) or a Hillis-Steele scan.
"""
from __future__ import annotations

import torch

from .plan import run_block, step_op


def _region_combiner(plan):
    """combine(env, lhs_values, rhs_values) -> values, running a reduce/scan region on tensors."""
    def combine(env, lhs, rhs):
        res = run_block(plan, env, list(lhs) + list(rhs))
        shape = lhs[0].shape
        return [r if r.shape == shape else torch.broadcast_to(r, shape) for r in res]
    return combine


def _nan_ignoring(reduce_fn, fill):
    def f(x, dim):
        nan = torch.isnan(x)
        r = reduce_fn(torch.where(nan, fill, x), dim)
        return torch.where(nan.all(dim), float("nan"), r)
    return f


def _signed_zero_sum(x, dim):
    """torch.sum starts from +0.0; the GPU's tree of adds gives -0.0 where every term is -0.0."""
    return torch.where(((x == 0) & torch.signbit(x)).all(dim), -0.0, torch.sum(x, dim))


def _reduce_fast_path(o, block):
    """A torch reduction equivalent to a single-op combine region, or None."""
    ops = block.operations
    args = block.arguments
    if len(args) != 2 or len(ops) != 2 or ops[1].name != "tt.reduce.return":
        return None
    op, ret = ops
    if len(op.operands) != 2 or set(op.operands) != set(args) or list(ret.operands) != [op.result(0)]:
        return None
    dt = o.in_types[0].dtype
    full_float = dt in (torch.float32, torch.float64)
    is_int = o.in_types[0].is_int and dt != torch.bool
    name = op.name
    if name == "arith.addf" and full_float:  # f32 sums stay in f32 (torch's CPU sum accumulates in f32)
        return _signed_zero_sum
    if name == "arith.mulf" and full_float:
        return lambda x, d: torch.prod(x, d)
    if name in ("arith.addi", "arith.muli") and is_int:
        f = torch.sum if name == "arith.addi" else torch.prod
        return lambda x, d: f(x, d, dtype=dt)  # wraps like the GPU
    if name in ("arith.maximumf", "arith.maxsi") and (full_float or is_int or dt in (torch.float16, torch.bfloat16)):
        return lambda x, d: torch.amax(x, d)  # amax propagates NaN, like maximumf
    if name in ("arith.minimumf", "arith.minsi") and (full_float or is_int or dt in (torch.float16, torch.bfloat16)):
        return lambda x, d: torch.amin(x, d)
    if name == "arith.maxnumf" and (full_float or dt in (torch.float16, torch.bfloat16)):
        return _nan_ignoring(torch.amax, float("-inf"))
    if dt == torch.bool and name == "arith.andi":
        return lambda x, d: torch.all(x, d)
    if dt == torch.bool and name == "arith.ori":
        return lambda x, d: torch.any(x, d)
    return None


@step_op("tt.reduce")
def _reduce(o):
    axis = o.attrs["axis"]
    ins, outs = o.ins, o.outs
    block = o.op.regions[0].blocks[0]
    fast = _reduce_fast_path(o, block) if len(ins) == 1 else None
    if fast is not None:
        (a,), (r,) = ins, outs

        def step_fast(env):
            env[r] = fast(env[a], axis)
        return step_fast
    combine = _region_combiner(o.region(0))

    def step(env):
        # Order-preserving pairwise tree along the axis: neighbours (2i, 2i+1) are
        # combined with the lower index on the left, so an associative (not
        # necessarily commutative) combine, e.g. argmax with tie-breaks, is exact.
        vals = [env[i].movedim(axis, -1) for i in ins]
        n = vals[0].shape[-1]
        while n > 1:
            h = n // 2
            lhs = [v[..., 0:2 * h:2] for v in vals]
            rhs = [v[..., 1:2 * h:2] for v in vals]
            res = combine(env, lhs, rhs)
            if n % 2:
                res = [torch.cat([r, v[..., 2 * h:]], -1) for r, v in zip(res, vals)]
            vals = res
            n = h + n % 2
        for slot, v in zip(outs, vals):
            env[slot] = v[..., 0]
    return step


@step_op("tt.scan")
def _scan(o):
    axis, reverse = o.attrs["axis"], bool(o.attrs.get("reverse", False))
    ins, outs = o.ins, o.outs
    block = o.op.regions[0].blocks[0]
    ops = block.operations
    dt = o.in_types[0].dtype
    if (len(ins) == 1 and len(ops) == 2 and ops[0].name == "arith.addi" and o.in_types[0].is_int
            and dt != torch.bool and set(ops[0].operands) == set(block.arguments)):
        (a,), (r,) = ins, outs

        def step_cumsum(env):  # integer sums are exact in any order
            x = env[a]
            if reverse:
                x = x.flip(axis)
            y = torch.cumsum(x, axis, dtype=dt)
            env[r] = y.flip(axis) if reverse else y
        return step_cumsum
    combine = _region_combiner(o.region(0))

    def step(env):
        # Hillis-Steele inclusive scan: log2(n) vectorized applications of the region.
        vals = [env[i].movedim(axis, -1) for i in ins]
        if reverse:
            vals = [v.flip(-1) for v in vals]
        n = vals[0].shape[-1]
        d = 1
        while d < n:
            lhs = [v[..., :n - d] for v in vals]
            rhs = [v[..., d:] for v in vals]
            res = combine(env, lhs, rhs)
            vals = [torch.cat([v[..., :d], r], -1) for v, r in zip(vals, res)]
            d *= 2
        if reverse:
            vals = [v.flip(-1) for v in vals]
        for slot, v in zip(outs, vals):
            env[slot] = v.movedim(-1, axis)
    return step
