"""The CPU TTIR executor (helion.runtime.cpu_executor) against torch.

The kernels are hand-written TTIR in generic form (ttir_kernels.py);
test_kernels_compile_with_triton checks that each one is valid TTIR by
compiling it for sm_90. The last tests run TTIR from the real compiler.
"""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from ttir_kernels import (  # noqa: E402
    ARGMAX_TTIR,
    ATOMIC_TTIR,
    BF16_RTZ_TTIR,
    BLOCK_PTR_TTIR,
    CALL_TTIR,
    CONVERT_TTIR,
    COPY2D_TTIR,
    DESCRIPTOR_TTIR,
    IF_TTIR,
    INT_OPS,
    INT_OPS_TTIR,
    KERNELS,
    ROW_REDUCE_TTIR,
    SCAN_TTIR,
    SHAPES_TTIR,
    UNMASKED_ADD_TTIR,
    VECTOR_ADD_TTIR,
    VECTOR_ADD_ALIAS_LOCS_TTIR,
    VECTOR_ADD_INLINE_LOCS_TTIR,
    WHILE_TTIR,
    matmul_ttir,
    with_locs,
)

from helion.exc import CpuExecutionError  # noqa: E402
from helion.runtime.cpu_executor import compile_ttir_for_cpu, run_ttir  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_vector_add():
    n = 10_000
    x, y = torch.randn(n), torch.randn(n)
    out = torch.full_like(x, float("nan"))
    run_ttir(VECTOR_ADD_TTIR, ((n + 1023) // 1024, 1, 1), [x, y, out, n])
    torch.testing.assert_close(out, x + y, rtol=0, atol=0)


def test_vector_add_on_views_and_module_input():
    from helion import _mlir as ir

    base = torch.randn(3000)
    x, y = base[7:2007], base[1000:3000]  # overlapping views of one storage: offsets matter
    out = torch.zeros(2500)[100:2100]
    mod = ir.Context().parse_module(VECTOR_ADD_TTIR)
    run_ttir(mod, (2, 1, 1), [x, y, out, 2000])
    torch.testing.assert_close(out, x + y, rtol=0, atol=0)
    assert (out._base[:100] == 0).all() and (out._base[2100:] == 0).all()


def test_copy2d_masked_strided():
    M, N = 37, 70
    x = torch.randn(N, M).t()  # a transposed, non-contiguous view
    out = torch.zeros(M, N + 5)[:, :N]
    grid = ((M + 15) // 16, (N + 31) // 32, 1)
    run_ttir(COPY2D_TTIR, grid, [x, out, M, N, x.stride(0), x.stride(1), out.stride(0), out.stride(1)])
    torch.testing.assert_close(out, x, rtol=0, atol=0)
    assert (out._base[:, N:] == 0).all()


@pytest.mark.parametrize("elem,precision", [("f32", 2), ("f32", 0), ("f16", 2)])
def test_matmul_scf_for_dot(elem, precision):
    M, N, K = 64, 96, 72  # K is not a multiple of the 16-wide K tile: masked loads
    dt = {"f32": torch.float32, "f16": torch.float16}[elem]
    a = torch.randn(M, K).to(dt)
    b = torch.randn(K, N).to(dt)
    c = torch.full((M, N), float("nan"))
    args = [a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1)]
    run_ttir(matmul_ttir(elem, precision), (M // 32, N // 32, 1), args)
    if precision == 0:  # TF32: inputs rounded to 10 mantissa bits
        from helion.runtime.cpu_executor.numerics import round_tf32

        ref = round_tf32(a.float()) @ round_tf32(b.float())
        torch.testing.assert_close(c, ref, rtol=1e-5, atol=1e-5)
        assert not torch.allclose(c, a @ b, rtol=1e-6, atol=1e-6)  # it really rounded
    else:
        torch.testing.assert_close(c, a.float() @ b.float(), rtol=1e-5, atol=1e-5)


def test_tf32_rounding_is_round_to_nearest_even():
    from helion.runtime.cpu_executor.numerics import round_tf32

    one = 1.0
    ulp = 2.0 ** -10
    x = torch.tensor([one + ulp / 2, one + 3 * ulp / 2, one + ulp / 2 + 2.0 ** -20, float("inf"), float("nan"), -(one + ulp / 2)])
    r = round_tf32(x)
    assert r[0] == one  # tie -> even
    assert r[1] == one + 2 * ulp  # tie -> even (up)
    assert r[2] == one + ulp  # above the tie -> up
    assert r[3] == float("inf") and torch.isnan(r[4]) and r[5] == -one


def test_row_reduce_sum_and_max():
    M, N = 10, 128
    x = torch.randn(M, N)
    x[3, 5] = float("nan")  # maxnumf ignores NaN; the sum propagates it
    s, m = torch.zeros(M), torch.zeros(M)
    run_ttir(ROW_REDUCE_TTIR, ((M + 3) // 4, 1, 1), [x, s, m, M, x.stride(0)])
    torch.testing.assert_close(s, x.sum(1), equal_nan=True)
    ref_max = torch.where(torch.isnan(x), float("-inf"), x).amax(1)
    torch.testing.assert_close(m, ref_max, rtol=0, atol=0)


def test_argmax_two_operand_reduce_with_ties():
    M = 33
    x = torch.randint(0, 5, (M, 64)).float()  # many ties: the smallest index must win
    out = torch.full((M,), -1, dtype=torch.int32)
    run_ttir(ARGMAX_TTIR, (M, 1, 1), [x, out, x.stride(0)])
    assert torch.equal(out.long(), torch.argmax(x, dim=1))


def test_atomics():
    n = 1000
    nbins = 16
    x = torch.randint(0, nbins, (n,), dtype=torch.int32)
    hist = torch.zeros(nbins)
    mx = torch.full((nbins,), -1, dtype=torch.int32)
    oldmx = torch.zeros(n, dtype=torch.int32)
    counter = torch.zeros(1, dtype=torch.int32)
    grid = (n + 127) // 128
    ticket = torch.full((grid,), -1, dtype=torch.int32)
    run_ttir(ATOMIC_TTIR, (grid, 1, 1), [x, hist, mx, oldmx, counter, ticket, n])
    torch.testing.assert_close(hist, torch.bincount(x.long(), minlength=nbins).float(), rtol=0, atol=0)
    # Sequential semantics: lanes and programs in order see every earlier update.
    cur = [-1] * nbins
    ref_old = []
    for i, b in enumerate(x.tolist()):
        ref_old.append(cur[b])
        cur[b] = max(cur[b], i)
    assert oldmx.tolist() == ref_old
    assert mx.tolist() == cur
    assert counter.item() == grid and sorted(ticket.tolist()) == list(range(grid))


def test_atomic_umax_compares_unsigned():
    from helion.runtime.cpu_executor.memory import rmw_combine
    from helion.runtime.cpu_executor.types import TypeInfo

    info = TypeInfo("i32", None, "int", torch.int32, 32)
    umax = rmw_combine(8, info)
    assert umax(torch.tensor([-1, 3], dtype=torch.int32), torch.tensor([5, 2], dtype=torch.int32)).tolist() == [-1, 3]


def test_scf_if():
    n = 300
    x = torch.randn(n)
    y = torch.zeros(n)
    run_ttir(IF_TTIR, ((n + 63) // 64, 1, 1), [x, y, n])
    blocks = torch.arange(n) // 64
    torch.testing.assert_close(y, torch.where(blocks % 2 == 0, x * 2, x + 1), rtol=0, atol=0)


def test_scf_while_scalar_load():
    vals = [1, 2, 3, 6, 7, 27, 97, 871]

    def steps(v):
        c = 0
        while v != 1:
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            c += 1
        return c

    x = torch.tensor(vals, dtype=torch.int32)
    out = torch.zeros(len(vals), dtype=torch.int32)
    run_ttir(WHILE_TTIR, (len(vals), 1, 1), [x, out])
    assert out.tolist() == [steps(v) for v in vals]


def _wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def test_integer_semantics():
    a = torch.randint(-(2 ** 31), 2 ** 31, (64,), dtype=torch.int64).to(torch.int32)
    b = torch.randint(-(2 ** 31), 2 ** 31, (64,), dtype=torch.int64).to(torch.int32)
    a[:8] = torch.tensor([-7, 7, -7, 7, -(2 ** 31), 5, -1, 100], dtype=torch.int32)
    b[:8] = torch.tensor([2, -2, -2, 2, -1, 37, 3, 7], dtype=torch.int32)
    b[b == 0] = 1
    out = torch.zeros(64 * len(INT_OPS), dtype=torch.int32)
    run_ttir(INT_OPS_TTIR, (1, 1, 1), [a, b, out])
    got = out.reshape(len(INT_OPS), 64).tolist()
    import math
    import struct

    def ref(name, x, y):
        ux, uy = x & 0xFFFFFFFF, y & 0xFFFFFFFF
        sh = y & 31
        if name == "divsi":
            return _wrap32(int(math.copysign(abs(x) // abs(y), x * y)) if x * y else 0)
        if name == "remsi":
            return x - y * (int(math.copysign(abs(x) // abs(y), x * y)) if x * y else 0)
        if name == "divui":
            return _wrap32(ux // uy)
        if name == "remui":
            return _wrap32(ux % uy)
        if name == "shrui":
            return _wrap32(ux >> sh)
        if name == "shrsi":
            return x >> sh
        if name == "shli":
            return _wrap32(x << sh)
        if name == "muli":
            return _wrap32(x * y)
        if name == "addi":
            return _wrap32(x + y)
        if name == "maxui":
            return x if ux >= uy else y
        if name == "minsi":
            return min(x, y)
        if name == "ult":
            return int(ux < uy)
        if name == "trunc8":
            v = x & 0xFF
            return v - 256 if v >= 128 else v
        if name == "fptosi":
            f = struct.unpack("f", struct.pack("f", float(x)))[0]  # sitofp rounds to f32
            p = struct.unpack("f", struct.pack("f", f * struct.unpack("f", struct.pack("f", 0.37))[0]))[0]
            return int(p)  # truncation toward zero
        if name == "uitofp_bits":
            return struct.unpack("i", struct.pack("f", float(ux)))[0]
        raise AssertionError(name)

    for k, (name, _) in enumerate(INT_OPS):
        expected = [ref(name, x, y) for x, y in zip(a.tolist(), b.tolist())]
        assert got[k] == expected, name


def test_convert_bf16_and_fp8():
    x = torch.randn(64) * 100
    x[:4] = torch.tensor([1000.0, -1e6, 0.0013, -3.3])
    obf, oe4, oe5 = torch.zeros(64), torch.zeros(64), torch.zeros(64)
    run_ttir(CONVERT_TTIR, (1, 1, 1), [x, obf, oe4, oe5])
    h = x.bfloat16()
    torch.testing.assert_close(obf, (h * h + h).float(), rtol=0, atol=0)
    # fp8 conversions saturate (cvt.rn.satfinite) instead of overflowing
    torch.testing.assert_close(oe4, x.clamp(-448, 448).to(torch.float8_e4m3fn).float(), rtol=0, atol=0)
    torch.testing.assert_close(oe5, x.clamp(-57344, 57344).to(torch.float8_e5m2).float(), rtol=0, atol=0)
    assert oe4[0] == 448 and oe5[1] == -57344


def test_scan():
    x = torch.randn(128)
    xi = torch.randint(-(2 ** 31), 2 ** 31, (128,), dtype=torch.int64).to(torch.int32)
    y, yi = torch.zeros(128), torch.zeros(128, dtype=torch.int32)
    run_ttir(SCAN_TTIR, (1, 1, 1), [x, y, xi, yi])
    torch.testing.assert_close(y, torch.cumsum(x, 0), rtol=1e-5, atol=1e-5)
    ref = torch.cumsum(xi.flip(0).long(), 0).flip(0)
    assert yi.tolist() == [_wrap32(v) for v in ref.tolist()]  # reverse scan, wrapping


def test_block_pointers():
    M, N = 37, 70
    x = torch.randn(M, N + 3)[:, :N]
    y = torch.full((M, N), float("nan"))
    run_ttir(BLOCK_PTR_TTIR, ((M + 15) // 16, (N + 31) // 32, 1), [x, y, M, N, x.stride(0)])
    torch.testing.assert_close(y, x, rtol=0, atol=0)


def test_tensor_descriptors():
    M, N = 37, 72
    x = torch.randn(M, N + 4)[:, :N]
    y = torch.full((M, N), float("nan"))
    run_ttir(DESCRIPTOR_TTIR, ((M + 15) // 16, (N + 31) // 32, 1), [x, y, M, N, x.stride(0)])
    torch.testing.assert_close(y, x, rtol=0, atol=0)


def test_bf16_reduce_and_rtz_conversions():
    x = torch.randn(256) * 10
    x[:3] = torch.tensor([70000.0, -1e-8, 1.0 + 2.0 ** -12])
    s, o16, obf = torch.zeros(4), torch.zeros(256), torch.zeros(256)
    run_ttir(BF16_RTZ_TTIR, (1, 1, 1), [x, s, o16, obf])
    h = x.bfloat16().float().reshape(4, 64)
    torch.testing.assert_close(s, h.sum(1), rtol=2e-2, atol=0.5)
    assert torch.equal(s.bfloat16().float(), s)  # rounded to bf16 at every combine
    # RTZ: the largest magnitude not above |x| (the next value up in magnitude exceeds |x|)
    for out, dt, ity in ((o16, torch.float16, torch.int16), (obf, torch.bfloat16, torch.int16)):
        r = out.to(dt)
        assert torch.equal(r.float(), out)
        assert bool((out.abs() <= x.abs()).all())
        up = (r.view(ity) + 1).view(dt).float().abs()
        assert bool((up > x.abs()).all())
    assert o16[0] == 65504  # RTZ saturates to the largest finite f16 instead of inf
    assert obf[2] == 1.0


def test_shape_ops_gather_histogram():
    x = torch.randn(32)
    idx = torch.randint(0, 32, (32,), dtype=torch.int32)
    ot, og, oh = torch.zeros(32), torch.zeros(32), torch.zeros(8, dtype=torch.int32)
    run_ttir(SHAPES_TTIR, (1, 1, 1), [x, idx, ot, og, oh])
    torch.testing.assert_close(ot, x.reshape(8, 4).t().reshape(32), rtol=0, atol=0)
    torch.testing.assert_close(og, x[idx.long()], rtol=0, atol=0)
    assert oh.tolist() == torch.bincount(idx.long() % 8, minlength=8).tolist()


def test_call():
    x = torch.randn(64)
    y = torch.zeros(64)
    run_ttir(CALL_TTIR, (1, 1, 1), [x, y])  # the public function is picked
    torch.testing.assert_close(y, torch.exp(x * 2 + 1))


def test_out_of_bounds_unmasked_load_raises():
    n = 1500
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    with pytest.raises(CpuExecutionError) as e:
        run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [x, y, out, n])
    msg = str(e.value)
    assert "kernel 'vector_add'" in msg
    assert "program id (1, 0, 0)" in msg
    assert "'tt.load'" in msg and ':15:' in msg  # the op and its location (line 15 of the text)
    assert "element index 1500" in msg and "[0, 1500)" in msg
    assert "#0" in msg  # the pointer argument
    # A view's valid range is relative to its first element: the rest of the storage is legal.
    base = torch.randn(4000)
    out2 = torch.zeros(2048)
    run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [base[100:1600], base[100:1600], out2, 1500])
    with pytest.raises(CpuExecutionError, match=r"program id \(1, 0, 0\).*element index 2000 .*range \[-2000, 2000\)"):
        run_ttir(UNMASKED_ADD_TTIR, (4, 1, 1), [base[2000:3500], base, torch.zeros(4096), 1500])


def test_masked_lanes_past_the_end_are_fine():
    n = 1
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [x, y, out, n])
    assert out.item() == (x + y).item()


def test_out_of_bounds_store_raises():
    M, N = 37, 70
    x = torch.randn(M, N)
    out = torch.zeros(M * N - 1)  # one element short: the last element of the copy is out of bounds
    with pytest.raises(CpuExecutionError, match=r"program id \(2, 2, 0\).*'tt.store'.*element index 2589 .*lane \(4, 5\).*\[0, 2589\)"):
        run_ttir(COPY2D_TTIR, (3, 3, 1), [x, out, M, N, N, 1, N, 1])


def test_unknown_op_raises():
    bad = VECTOR_ADD_TTIR.replace(
        '%sum = "arith.addf"(%xv, %yv) <{fastmath = #arith.fastmath<none>}>', '%sum = "tt.frobnicate"(%xv, %yv)')
    assert bad != VECTOR_ADD_TTIR
    with pytest.raises(CpuExecutionError, match="unsupported op 'tt.frobnicate'"):
        run_ttir(bad, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 4])


def test_ops_with_locations_run():
    """Inline locations and #loc aliases are MLIR syntax the executor parses and ignores."""
    n = 1500
    x, y = torch.randn(n), torch.randn(n)
    for ttir in (VECTOR_ADD_INLINE_LOCS_TTIR, VECTOR_ADD_ALIAS_LOCS_TTIR):
        assert "loc(" in ttir
        out = torch.zeros(n)
        run_ttir(ttir, (2, 1, 1), [x, y, out, n])
        torch.testing.assert_close(out, x + y, rtol=0, atol=0)


@pytest.mark.parametrize("form,where", [
    ("inline", "user_kernel.py:115"),
    ("alias", "user_kernel.py:115"),
    ("name", "user_kernel.py:115"),
    ("fused", "user_kernel.py:115"),
    ("callsite", "helpers.py:15 (called from user_kernel.py:115)"),
])
def test_out_of_bounds_names_the_user_line(form, where):
    """With locations in the TTIR, the error names the user's file:line
    (the unmasked load is on line 15 of the text, so its user line is 115)."""
    n = 1500
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    with pytest.raises(CpuExecutionError) as e:
        run_ttir(with_locs(UNMASKED_ADD_TTIR, form), (2, 1, 1), [x, y, out, n])
    msg = str(e.value)
    assert f"'tt.load' at {where}:" in msg, msg
    assert "<ttir>" not in msg and '"-"' not in msg
    assert "program id (1, 0, 0)" in msg and "element index 1500" in msg


def test_location_falls_back_to_ttir_line_and_enclosing_op():
    # No locations in the text: the op's line in the TTIR.
    with pytest.raises(CpuExecutionError, match=r"'tt.load' at <ttir>:15:\d+: element index"):
        run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [torch.randn(1500), torch.randn(1500), torch.zeros(1500), 1500])
    # loc(unknown) on the op: the enclosing function's location.
    ttir = UNMASKED_ADD_TTIR.replace("}) : () -> ()", '}) : () -> () loc("user_kernel.py":7:1)')
    ttir = ttir.replace("-> tensor<1024xf32>\n", "-> tensor<1024xf32> loc(unknown)\n", 1)
    with pytest.raises(CpuExecutionError, match=r"'tt.load' at user_kernel.py:7: element index"):
        run_ttir(ttir, (2, 1, 1), [torch.randn(1500), torch.randn(1500), torch.zeros(1500), 1500])


def test_unsupported_op_names_the_user_line():
    bad = with_locs(VECTOR_ADD_TTIR, "alias").replace(
        '%sum = "arith.addf"(%xv, %yv) <{fastmath = #arith.fastmath<none>}>', '%sum = "tt.frobnicate"(%xv, %yv)')
    with pytest.raises(CpuExecutionError, match=r"unsupported op 'tt.frobnicate' at user_kernel.py:119 "):
        run_ttir(bad, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 4])


def test_location_text_is_unescaped():
    from helion.runtime.cpu_executor.locations import user_location

    # as MLIR prints a path with a backslash, quotes and a non-ASCII letter
    assert user_location(r'loc("dir\\my \22k\22 \C3\A9.py":3:4)') == 'dir\\my "k" \u00e9.py:3'
    assert user_location('loc("-":3:4)') is None and user_location("loc(unknown)") is None


def test_bad_arguments_raise():
    with pytest.raises(CpuExecutionError, match="takes 4 arguments"):
        run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [torch.zeros(4)])
    with pytest.raises(CpuExecutionError, match="does not fit in i32"):
        run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 2 ** 40])


def test_plan_is_cached_and_hoists_invariants():
    k1 = compile_ttir_for_cpu(VECTOR_ADD_TTIR)
    assert compile_ttir_for_cpu(VECTOR_ADD_TTIR) is k1
    # constants, make_range, splats of arguments and the mask-independent ops run once per launch
    assert len(k1._fn.prologue) >= 5
    assert all("get_program_id" not in s.desc for s in k1._fn.prologue)


def test_division_by_zero_and_overflow_do_not_crash():
    from helion.runtime.cpu_executor.numerics import ceildivsi, divsi, floordivsi, remsi

    a = torch.tensor([7, -7, 7, -7, -(2 ** 31), 5], dtype=torch.int32)
    b = torch.tensor([2, 2, -2, -2, -1, 0], dtype=torch.int32)
    assert divsi(a, b).tolist()[:5] == [3, -3, -3, 3, -(2 ** 31)]
    assert remsi(a, b).tolist()[:5] == [1, -1, 1, -1, 0]
    assert floordivsi(a, b).tolist()[:4] == [3, -4, -4, 3]
    assert ceildivsi(a, b).tolist()[:4] == [4, -3, -3, 4]



def _ragged_add_ttir(drop_masks: bool, debug_info: bool = False):
    """TTIR of puzzle 1 (x + 10 on 1000 elements, 128-wide tiles) from the real
    compiler; with drop_masks, as if masking elimination wrongly dropped them;
    with debug_info, printed with the ops' source locations."""
    import dataclasses
    import re

    from pointwise import add_const

    from helion import Config
    from helion import _mlir as ir
    from helion.compiler import pipeline

    x = torch.randn(1000)
    bound = add_const.bind((x,))
    traced = bound.spec.traced
    config = bound.config_spec.normalize(Config(block_sizes=[128]))
    if drop_masks:
        # Simulate a masking-elimination bug: claim no tile needs its mask.
        text = re.sub(r"(tile\.(?:load|store) [^:]*\])", r"\1 {bounds_check = array<i1: false>}",
                      traced.module.to_string(debug_info=debug_info))
        traced = dataclasses.replace(traced, module=ir.Context().parse_module(text))
    if debug_info:
        module = traced.module.clone()
        module.run_passes(pipeline.pass_pipeline(config))
        return x, module.to_string(generic=True, debug_info=True)
    return x, pipeline.lower_to_ttir(traced, config)


def test_executor_catches_a_dropped_mask():
    x, good = _ragged_add_ttir(drop_masks=False)
    out = torch.full_like(x, float("nan"))
    run_ttir(good.text, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    torch.testing.assert_close(out, x + 10)
    _, bad = _ragged_add_ttir(drop_masks=True)
    assert bad.text.count("array<i32: 1, 0, 0>") == 1  # the load lost its mask
    with pytest.raises(CpuExecutionError, match=r"add_const.*program.*\(7, 0, 0\).*tt\.(load|store)"):
        run_ttir(bad.text, (bad.num_programs, 1, 1), [x, torch.empty_like(x)], kernel_name="add_const")


def test_out_of_bounds_from_the_compiler_names_the_user_line():
    """End to end: the frontend's locations survive the pass pipeline into the
    TTIR printed with debug info, and the error names the kernel's line."""
    import inspect

    from pointwise import add_const

    lines, first = inspect.getsourcelines(add_const.fn)
    line = first + next(i for i, text in enumerate(lines) if "x_tile = x[tile_n]" in text)
    x, bad = _ragged_add_ttir(drop_masks=True, debug_info=True)
    assert "loc(" in bad
    with pytest.raises(CpuExecutionError, match=rf"program id \(7, 0, 0\): out-of-bounds access by 'tt.load' at \S*pointwise.py:{line}: "):
        run_ttir(bad, (8, 1, 1), [x, torch.empty_like(x)], kernel_name="add_const")


def test_executor_catches_an_off_by_one_offset():
    x, good = _ragged_add_ttir(drop_masks=False)
    shifted = good.text.replace("{end = 128 : i32, start = 0 : i32}", "{end = 129 : i32, start = 1 : i32}")
    assert shifted != good.text
    out = torch.full_like(x, float("nan"))
    try:
        run_ttir(shifted, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    except CpuExecutionError:
        return  # caught as an out-of-bounds access
    with pytest.raises(AssertionError):
        torch.testing.assert_close(out, x + 10)

COMPILE_SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    sys.path.insert(0, os.path.dirname(sys.argv[1]))
    import triton
    from triton.backends.compiler import GPUTarget
    from ttir_kernels import KERNELS
    from triton.compiler.compiler import IRSource, make_backend
    from ttir_kernels import KERNELS_NEEDING_TTIR_STAGE
    d = tempfile.mkdtemp()
    target = GPUTarget("cuda", 90, 32)
    failed = []
    for name, text in KERNELS.items():
        path = os.path.join(d, name + ".ttir")
        with open(path, "w") as f:
            f.write(text)
        try:
            if name in KERNELS_NEEDING_TTIR_STAGE:
                # triton.compile skips the TTIR-stage passes for .ttir files:
                # run them (inliner, rewrite-tensor-pointer, ...) first.
                backend = make_backend(target)
                ctx = triton._C.libtriton.ir.context()
                src = IRSource(path, ctx, backend)
                opts = backend.parse_options({"num_warps": 4})
                mod = backend.make_ttir(src.make_ir(target, opts, None, None, ctx), {}, opts, 90)
                path = os.path.join(d, name + ".staged.ttir")
                with open(path, "w") as f:
                    f.write(str(mod))
            ck = triton.compile(path, target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            assert len(ck.asm["cubin"]) > 1000
            print("OK", name)
        except Exception as e:
            failed.append(name)
            print("FAIL", name, type(e).__name__, str(e)[:2000])
    sys.exit(1 if failed else 0)
    """
)


def test_kernels_compile_with_triton(tmp_path):
    """Every TTIR kernel above is valid TTIR: Triton compiles it to an sm_90 cubin."""
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT, __file__], capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-6000:]
    for name in KERNELS:
        assert f"OK {name}" in r.stdout
