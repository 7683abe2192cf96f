"""Frontend: tile IR checked with FileCheck, Config handling, clear errors."""
import inspect
import sys

import pytest
import torch

import helion
import helion.language as hl
from helion.compiler import pipeline
import matmul
import pointwise


def test_readme_matmul_tile_ir(filecheck):
    bound = matmul.readme_matmul.bind((torch.randn(100, 70), torch.randn(70, 50)))
    filecheck(bound.tile_ir, """
CHECK: tile.kernel @readme_matmul(%[[OUT:.*]]: memref<100x50xf32, strided<[50, 1]>> {tile.aligned}, %[[X:.*]]: memref<100x70xf32, strided<[70, 1]>> {tile.aligned}, %[[Y:.*]]: memref<70x50xf32, strided<[50, 1]>> {tile.aligned})
CHECK-DAG: %[[BM:.*]] = tile.block_size 0 {extent = 100 : i64}
CHECK-DAG: %[[BN:.*]] = tile.block_size 1 {extent = 50 : i64}
CHECK-DAG: %[[BK:.*]] = tile.block_size 2 {extent = 70 : i64}
CHECK: tile.grid (%[[TM:.*]], %[[TN:.*]]) = ({{.*}}) to ({{.*}}) step (%[[BM]], %[[BN]])
CHECK: tile.full {{.*}} -> tensor<?x?xf32, #tile.dims<[0, 1]>>
CHECK: tile.for (%[[TK:.*]]) = ({{.*}}) to ({{.*}}) step (%[[BK]]) iter_args(%[[ACC:.*]] = {{.*}})
CHECK: %[[A:.*]] = tile.load %[[X]][%[[TM]], %[[TK]]] {{.*}} -> tensor<?x?xf32, #tile.dims<[0, 2]>>
CHECK: %[[B:.*]] = tile.load %[[Y]][%[[TK]], %[[TN]]] {{.*}} -> tensor<?x?xf32, #tile.dims<[2, 1]>>
CHECK: tile.dot %[[A]], %[[B]], %[[ACC]] :
CHECK: tile.store {{.*}}, %[[OUT]][%[[TM]], %[[TN]]]
""")


def test_broadcast_and_cast_tile_ir(filecheck):
    bound = pointwise.broadcast_add.bind((torch.randn(64, dtype=torch.bfloat16), torch.randn(32, dtype=torch.bfloat16)))
    filecheck(bound.tile_ir, """
CHECK: tile.load {{.*}} -> tensor<?xbf16, #tile.dims<[0]>>
CHECK: tile.expand_dims {{.*}}, 1 : tensor<?xbf16, #tile.dims<[0]>> -> tensor<?x1xbf16, #tile.dims<[0, -1]>>
CHECK: tile.expand_dims {{.*}}, 0 : tensor<?xbf16, #tile.dims<[1]>> -> tensor<1x?xbf16, #tile.dims<[-1, 1]>>
CHECK: tile.broadcast
CHECK: arith.addf {{.*}} : tensor<?x?xbf16, #tile.dims<[0, 1]>>
CHECK: tile.store
""")


def test_ttir_has_masks_only_where_needed(filecheck):
    x = torch.randn(1024)
    bound = pointwise.add_const.bind((x,))
    divisible = bound.to_triton_code(helion.Config(block_sizes=[128]))
    assert '"tt.load"' in divisible and "operandSegmentSizes = array<i32: 1, 0, 0>" in divisible
    bound = pointwise.add_const.bind((torch.randn(1000),))
    ragged = bound.to_triton_code(helion.Config(block_sizes=[128]))
    assert "operandSegmentSizes = array<i32: 1, 1, 1>" in ragged
    assert "tt.divisibility = 16" in ragged


def test_config_repr_json_roundtrip():
    c = helion.Config(block_sizes=[64, 64, 32], loop_orders=[[1, 0]], l2_groupings=[4], num_warps=8, num_stages=3)
    assert repr(c) == "helion.Config(block_sizes=[64, 64, 32], loop_orders=[[1, 0]], l2_groupings=[4], num_warps=8, num_stages=3)"
    assert eval(repr(c), {"helion": helion}) == c
    assert helion.Config.from_json(c.to_json()) == c
    with pytest.raises(helion.exc.InvalidConfig, match="unknown Config fields"):
        helion.Config(block_size=[1])


def test_wrong_config_length_is_a_clear_error():
    bound = matmul.readme_matmul.bind((torch.randn(64, 64), torch.randn(64, 64)))
    with pytest.raises(helion.exc.InvalidConfig, match="block_sizes has 2 entries, this kernel needs 3"):
        bound.to_triton_code(helion.Config(block_sizes=[64, 64]))
    with pytest.raises(helion.exc.InvalidConfig, match=r"block_sizes\[1\] = 48 is not legal; expected a power of two"):
        bound.to_triton_code(helion.Config(block_sizes=[64, 48, 16]))
    with pytest.raises(helion.exc.InvalidConfig, match=r"num_warps = 3 is not legal; expected a power of two in \[1, 32\]"):
        bound.to_triton_code(helion.Config(num_warps=3))
    with pytest.raises(helion.exc.InvalidConfig, match="minimum for a matmul"):
        bound.to_triton_code(helion.Config(block_sizes=[8, 64, 16]))


def test_default_config_warns_once(capsys):
    @helion.kernel(autotune_effort="none")
    def double(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * 2
        return out

    x = torch.randn(300)
    torch.testing.assert_close(double(x), x * 2)
    torch.testing.assert_close(double(x), x * 2)
    err = capsys.readouterr().err
    assert err.count("using the default config") == 1


def test_print_output_code(capsys):
    @helion.kernel(print_output_code=True, config=helion.Config(block_sizes=[64]))
    def neg(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = -x[t]
        return out

    x = torch.randn(100)
    torch.testing.assert_close(neg(x), -x)
    err = capsys.readouterr().err
    assert "tt.func @neg" in err and "tt.get_program_id" in err  # Triton's readable form


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, l in enumerate(lines) if text in l)


def _expect_error(fn, args, err_type, match, marker):
    with pytest.raises(err_type, match=match) as e:
        fn(*args)
    line = _line_of(fn.fn, marker)
    assert f"test_frontend.py:{line}" in str(e.value), str(e.value)


def test_unsupported_call_names_construct_and_line():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = torch.special.bessel_j0(x[t])  # unsupported
        return out

    _expect_error(k, (torch.randn(10),), helion.exc.NotSupported, "bessel_j0", "unsupported")


def test_device_if_on_tensor_is_rejected():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t]
            if v > 0:  # data-dependent
                v = -v
            out[t] = v
        return out

    _expect_error(k, (torch.randn(10),), helion.exc.NotSupported, "torch.where", "data-dependent")


def test_shape_mismatch_is_a_type_error():
    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def k(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tm, tn in hl.tile(x.size()):
            out[tm, tn] = x[tm, tn] + y[tn, tm]  # mismatch
        return out

    _expect_error(k, (torch.randn(8, 8), torch.randn(8, 8)), helion.exc.TypeError_, "cannot be broadcast", "mismatch")


def test_undefined_name_and_while_loop():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * not_defined_anywhere  # noqa: F821 undefined
        return out

    _expect_error(k, (torch.randn(8),), helion.exc.NotSupported, "not_defined_anywhere", "undefined")

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def w(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            while x[t] > 0:  # loop
                pass
            out[t] = x[t]
        return out

    _expect_error(w, (torch.randn(8),), helion.exc.NotSupported, "`while` on a device value", "loop")


def test_kernel_without_device_loop():
    with pytest.raises(helion.exc.NotSupported, match="no device loop"):
        @helion.kernel()
        def k(x: torch.Tensor) -> torch.Tensor:
            return x * 2


def test_hl_outside_kernel():
    with pytest.raises(helion.exc.NotInsideKernel):
        hl.zeros([4])


def test_unknown_setting():
    with pytest.raises(helion.exc.Base, match="unknown helion.kernel settings"):
        helion.kernel(autotune_efort="none")


def test_store_into_local_is_rejected():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            acc = hl.zeros([t])
            acc[t] = 1.0  # bad store
            out[t] = acc
        return out

    _expect_error(k, (torch.randn(8),), helion.exc.TypeError_, "only kernel tensor arguments are writable", "bad store")


def test_register_block_size_is_shared_by_loops():
    @helion.kernel()
    def two_pass_scale(x: torch.Tensor) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty_like(x)
        bs = hl.register_block_size(n)
        for tile_m in hl.tile(m):
            total = hl.zeros([tile_m], dtype=torch.float32)
            for tile_n in hl.tile(n, block_size=bs):
                total += x[tile_m, tile_n].sum(-1)
            for tile_n in hl.tile(n, block_size=bs):
                out[tile_m, tile_n] = x[tile_m, tile_n] / total[:, None]
        return out

    x = torch.rand(9, 100) + 0.5
    bound = two_pass_scale.bind((x,))
    assert len(bound.spec.traced.tile_slots) == 2  # the registered one (first, program order) and tile_m
    for bs in (16, 32, 128):
        bound.set_config(helion.Config(block_sizes=[bs, 4]))
        torch.testing.assert_close(two_pass_scale(x), x / x.sum(-1, keepdim=True))


def test_specialize_and_python_branches_on_host_values():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def scale(x: torch.Tensor, mode: int) -> torch.Tensor:
        n = hl.specialize(x.size(0))
        out = torch.empty_like(x)
        for t in hl.tile(n):
            if mode == 0:
                out[t] = x[t] * 2
            else:
                out[t] = x[t] * 3
        return out

    x = torch.randn(40)
    torch.testing.assert_close(scale(x, 0), x * 2)
    torch.testing.assert_close(scale(x, 1), x * 3)  # ints specialize: a second compile


def test_closure_values_and_env_settings(monkeypatch, capsys):
    monkeypatch.setenv("HELION_USE_DEFAULT_CONFIG", "1")
    monkeypatch.setenv("HELION_PRINT_OUTPUT_CODE", "1")
    offset = 3.5  # a closure variable read by device code

    @helion.kernel()
    def shift(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + offset
        return out

    assert shift.settings.use_default_config and shift.settings.print_output_code
    x = torch.randn(50)
    torch.testing.assert_close(shift(x), x + 3.5)
    err = capsys.readouterr().err
    assert "using the default config (autotune_effort='none')" in err
    assert "tt.func @shift" in err and "tt.get_program_id" in err  # the readable TTIR


# ---------------------------------------------------------------- puzzle 12 and what it needs


def test_quant_dot_puzzle_shapes_and_tile_ir(filecheck):
    torch.manual_seed(0)
    args = matmul.quant_dot_inputs(32, 32, "cpu", torch.float32)  # the puzzle's shapes
    bound = matmul.quant_dot.bind(args)
    filecheck(bound.tile_ir, """
CHECK: tile.kernel @quant_dot({{.*}}%[[BITS:arg[0-9]+]]: memref<8xi64, strided<[1]>>
CHECK: tile.load %[[BITS]][%{{.*}}] : memref<8xi64, strided<[1]>>[!tile.tile] -> tensor<8xi64>
CHECK: arith.shrsi {{.*}} : tensor<?x8xi64, #tile.dims<[0, -1]>>
CHECK: arith.andi
CHECK: tile.extract_slice %{{.*}}, 1, 0 : tensor<?x8xi64, #tile.dims<[0, -1]>> -> tensor<?x1xi64, #tile.dims<[0, -1]>>
CHECK: tile.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<64x32xf32, strided<[32, 1]>>[tensor<8xi64>, !tile.tile] -> tensor<8x?xf32, #tile.dims<[-1, 1]>>
CHECK: tile.dot {{.*}} : tensor<?x8xf32, #tile.dims<[0, -1]>>, tensor<8x?xf32, #tile.dims<[-1, 1]>>
""")
    for config in (helion.Config(block_sizes=[16, 16]), helion.Config(block_sizes=[32, 32])):
        bound.set_config(config)
        out = matmul.quant_dot(*args)
        torch.testing.assert_close(out.double(), matmul.quant_dot_reference(*args), atol=0.25, rtol=2e-2)
    specs = len(matmul.quant_dot._specs)
    matmul.quant_dot(*args)
    assert len(matmul.quant_dot._specs) == specs  # the helper defined in host code does not re-specialize each call


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int8])
def test_dot_with_small_k_is_padded(dtype, filecheck):
    """tt.dot needs K >= 16 (32 for int8); K = 4 is widened with zero products
    (on the GPU an unpadded bf16 K = 8 dot gave wrong results)."""
    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def small_k(x: torch.Tensor, y: torch.Tensor, full: int) -> torch.Tensor:
        out = torch.empty([x.size(0), y.size(1)], dtype=torch.float32, device=x.device)
        for tm, tn in hl.tile([x.size(0), y.size(1)]):
            if full:  # K as full slices (a reduction slot over 4)
                out[tm, tn] = hl.dot(x[tm, :], y[:, tn]).float()
            else:  # a static K of 4
                out[tm, tn] = hl.dot(x[tm, 0:4], y[0:4, tn]).float()
        return out

    if dtype == torch.int8:
        x, y = torch.randint(-8, 8, (20, 4), dtype=dtype), torch.randint(-8, 8, (4, 24), dtype=dtype)
    else:
        x, y = torch.rand(20, 4, dtype=dtype) + 0.1, torch.randn(4, 24, dtype=dtype)
        y[:, 0] = float("inf")  # column 0 is +inf; copies that were not zeroed would add 0 * inf = nan
    kpad = 32 if dtype == torch.int8 else 16
    for full in (0, 1):
        # The frontend's tile IR keeps K; helion-legalize-for-triton widens it.
        bound = small_k.bind((x, y, full))
        filecheck(bound.tile_ir, "CHECK: tile.dot {{.*}} : tensor<?x{{[?4]}}x{{.*}}>, tensor<{{[?4]}}x?x{{.*}}>")
        ttir = pipeline.lower_to_ttir(bound.spec.traced, helion.Config(block_sizes=[16, 16])).text
        filecheck(ttir, f'CHECK: "tt.dot"({{{{.*}}}} : (tensor<16x{kpad}x{{{{.*}}}}>, tensor<{kpad}x16x{{{{.*}}}}>')
        torch.testing.assert_close(small_k(x, y, full), (x.double() @ y.double()).float(), atol=1e-2, rtol=1e-2)


def _double_plus(v, extra=1):  # a module-level helper called from device code
    return _twice(v) + extra


def _twice(v):
    if isinstance(v, int):
        return 2 * v
    return v * 2


def test_helper_functions_are_traced_inline():
    k_scale = 3

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)

        def closure_helper(v, *, shift=0.5):
            mask = v > 0  # a name also assigned in device code
            return torch.where(mask, v * k_scale, v) + shift

        for t in hl.tile(x.size(0)):
            mask = x[t]
            total = hl.reduce(lambda a, b: a + b, mask[:, None] + hl.zeros([t, 4]), dim=1)  # a device-code lambda: 4 * mask
            out[t] = closure_helper(mask, shift=_double_plus(1)) + _double_plus(mask, extra=2) + (lambda a: a * k_scale)(total)
        return out

    x = torch.randn(40)
    expected = torch.where(x > 0, x * 3, x) + 3 + (2 * x + 2) + 12 * x
    torch.testing.assert_close(k(x), expected)
    torch.testing.assert_close(k(x), expected)
    assert len(k._specs) == 1 and len(k._fast_cache) == 1  # one specialization, not one per closure object


def test_helper_closure_values_specialize():
    def make(factor):
        @helion.kernel(config=helion.Config(block_sizes=[16]))
        def k(x: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(x)

            def scaled(v):
                return v * factor

            for t in hl.tile(x.size(0)):
                out[t] = scaled(x[t])
            return out
        return k

    x = torch.randn(20)
    torch.testing.assert_close(make(2)(x), x * 2)
    torch.testing.assert_close(make(5)(x), x * 5)


def test_helper_function_errors():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def arity(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)

        def one(v):
            return v

        for t in hl.tile(x.size(0)):
            out[t] = one(x[t], x[t])  # two args
        return out

    _expect_error(arity, (torch.randn(8),), helion.exc.TypeError_, r"one\(\): too many positional arguments", "two args")

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def inner_error(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)

        def bad(v):
            return torch.special.bessel_j0(v)  # unsupported inside

        for t in hl.tile(x.size(0)):
            out[t] = bad(x[t])  # call site
        return out

    with pytest.raises(helion.exc.NotSupported, match="bessel_j0") as e:
        inner_error(torch.randn(8))
    assert f"test_frontend.py:{_line_of(inner_error.fn, 'unsupported inside')}" in str(e.value)
    assert f"called at {__file__}:{_line_of(inner_error.fn, 'call site')}" in str(e.value)

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def recursive(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)

        def forever(v):
            return forever(v)

        for t in hl.tile(x.size(0)):
            out[t] = forever(x[t])
        return out

    with pytest.raises(helion.exc.NotSupported, match="nest more than 32 deep"):
        recursive(torch.randn(8))

    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def return_in_loop(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = _returns_in_a_tile_loop(x[t], x.size(0))
        return out

    with pytest.raises(helion.exc.NotSupported, match="`return` inside a tile loop") as e:
        return_in_loop(torch.randn(8))
    assert f"test_frontend.py:{_line_of(_returns_in_a_tile_loop, 'in a loop')}" in str(e.value)

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def returns(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            return out  # device return
        return out

    _expect_error(returns, (torch.randn(8),), helion.exc.NotSupported, "`return` in the device loop", "device return")


def _returns_in_a_tile_loop(v, n):
    for t2 in hl.tile(n):
        return v  # in a loop


GLOBAL_TABLE = torch.arange(8.0)


def test_host_tensor_read_by_a_helper():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def via_global(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)

        def add_table(v):
            return v + GLOBAL_TABLE[0]  # global tensor

        for t in hl.tile(x.size(0)):
            out[t] = add_table(x[t])
        return out

    x = torch.randn(8)
    torch.testing.assert_close(via_global(x), x + GLOBAL_TABLE[0])  # the global becomes a kernel argument

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def via_closure(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        table = x * 0 + 1.5

        def add_table(v):
            return v + table[3]  # closure tensor, also named in the device loop

        for t in hl.tile(x.size(0)):
            out[t] = add_table(x[t]) + table[t] * 0
        return out

    x = torch.randn(8)
    torch.testing.assert_close(via_closure(x), x + 1.5)


def test_whole_tensor_argument_in_device_code():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def outer(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), w.size(0), w.size(1)], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            out[t, :, :] = x[t, None, None] * w + w.sum()  # w used whole
        return out

    x, w = torch.randn(20), torch.randn(4, 8)
    torch.testing.assert_close(outer(x, w), x[:, None, None] * w + w.sum())
    _expect_error(outer, (x, torch.randn(3, 8)), helion.exc.NotSupported, r"'w' of shape \[3, 8\] is used whole.*power-of-two",
                  "w used whole")

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def gather_rows(table: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        out = torch.empty([idx.size(0), table.size(1)], dtype=table.dtype, device=table.device)
        for t in hl.tile(table.size(1)):
            out[:, t] = table[idx][:, t]  # idx used whole as a gather index
        return out

    table, idx = torch.randn(10, 40), torch.tensor([7, 0, 3, 3])
    torch.testing.assert_close(gather_rows(table, idx), table[idx])


def test_ellipsis_indexing():
    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def k(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 4, 2], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            v = x[t, ...]  # [t, 4]
            out[t, ...] = v[..., None] * y[None, ...] + v[..., 1:2, None]
        return out

    x, y = torch.randn(10, 4), torch.randn(4, 2)
    torch.testing.assert_close(k(x, y), x[..., None] * y[None, ...] + x[..., 1:2, None])

    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def two(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = x[t, ...][..., ...]  # two ellipses
        return out

    _expect_error(two, (x,), helion.exc.TypeError_, "single ellipsis", "two ellipses")


def test_shift_and_bitwise_operators():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x: torch.Tensor, s: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 6], dtype=torch.int32, device=x.device)
        for t in hl.tile(x.size(0)):
            a, n = x[t], s[t]
            out[t, 0] = (a >> n) ^ (a << 3)
            out[t, 1] = (a >> 40) | (a << 35)  # past the width: sign fill and 0, as in torch
            out[t, 2] = torch.bitwise_right_shift(a, n & 7) + a.bitwise_left_shift(2)
            out[t, 3] = (u[t] >> 1).to(torch.int32)  # uint8: logical shift
            b = a
            b >>= 2
            out[t, 4] = b
            out[t, 5] = a >> n.to(torch.int64)  # int64 result, stored as int32
        return out

    x = torch.randint(-1000, 1000, (40,), dtype=torch.int32)
    s = torch.randint(0, 31, (40,), dtype=torch.int32)
    u = torch.randint(0, 256, (40,), dtype=torch.uint8)
    expected = torch.stack([(x >> s) ^ (x << 3), (x >> 31) | torch.zeros_like(x), (x >> (s & 7)) + (x << 2),
                            (u >> 1).int(), x >> 2, (x >> s.long()).int()], dim=1)
    torch.testing.assert_close(k(x, s, u), expected)

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def float_shift(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] >> 1  # float shift
        return out

    _expect_error(float_shift, (torch.randn(8),), helion.exc.TypeError_, "needs integer operands", "float shift")


def test_bounded_slices_and_ints_of_device_tensors():
    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 8], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            v = x[t, :] * 2  # [t, 8] in registers
            out[t, 0:2] = v[:, 6:8]
            out[t, 2:4] = v[:, 1:3]  # start not a multiple of the length
            out[t, 4:5] = v[:, 3:4]
            out[t, 5] = v[:, -1]
            out[t, 6] = (v[:, 0:4] > 0)[:, 2].to(x.dtype)
            out[t, 7] = v.to(torch.bfloat16)[:, 4:8][:, 1].to(x.dtype)
        return out

    x = torch.randn(20, 8)
    v = x * 2
    expected = torch.cat([v[:, 6:8], v[:, 1:3], v[:, 3:4], v[:, -1:], (v[:, 2:3] > 0).float(),
                          v.bfloat16()[:, 5:6].float()], dim=1)
    torch.testing.assert_close(k(x), expected)

    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def odd(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 4], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            w = x[t, :][:, 0:4] + 1  # chained: composed into one load
            out[t, 0:4] = w[:, 1:4]  # length 3
        return out

    _expect_error(odd, (x,), helion.exc.NotSupported, "bounded slices need a power-of-two length", "length 3")

    @helion.kernel(config=helion.Config(block_sizes=[8, 8]))
    def tile_dim(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t, u in hl.tile(x.size()):
            v = x[t, u] * 2
            out[t, u] = v[0:2, :]  # slices a tile dim
        return out

    _expect_error(tile_dim, (x,), helion.exc.NotSupported, "bounded slice of a tile dim", "slices a tile dim")

    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def by_tile(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t, :] + 1
            out[t, :] = v[t, :]  # a tile on a value
        return out

    _expect_error(by_tile, (x,), helion.exc.NotSupported, "index the kernel's tensor argument instead", "a tile on a value")


def test_chained_indexing_composes_into_one_load(filecheck):
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(table: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        out = torch.empty([4, table.size(1)], dtype=table.dtype, device=table.device)
        for t in hl.tile(table.size(1)):
            rows = idx[0:4]
            out[:, t] = table[rows][:, t] + table[1:5][:, t] + table[2:6][0:4, t] + table[:, t][3:7] + table[:][None, 0:4][0, :, t]
        return out

    table, idx = torch.randn(10, 40), torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    t = table
    torch.testing.assert_close(k(table, idx), t[idx[:4]] + t[1:5] + t[2:6] + t[3:7] + t[0:4])
    filecheck(k.bind((table, idx)).tile_ir, """
CHECK: tile.load {{.*}}[tensor<4xi64>, !tile.tile] -> tensor<4x?xf32, #tile.dims<[-1, 0]>>
CHECK-COUNT-4: tile.load {{.*}}[!tile.tile, !tile.tile] -> tensor<4x?xf32, #tile.dims<[-1, 0]>>
CHECK-NOT: tile.load
""")

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def bad(table: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(table)
        for t in hl.tile(table.size(0)):
            out[t, :] = table[t][1:3, :]  # a slice of a tile
        return out

    _expect_error(bad, (table,), helion.exc.NotSupported, "cannot compose a tile with `1:3`", "a slice of a tile")


def test_torch_arange_and_tile_size_in_device_code():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 4], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            cols = torch.arange(1, 9, 2, device=x.device)  # int64 [1, 3, 5, 7]
            v = x[t, :][:, cols] + torch.arange(4, dtype=torch.float32)
            out[t, :] = v.reshape(t.size(0), 4) + hl.zeros([t.size(0), 4], dtype=x.dtype)
        return out

    x = torch.randn(20, 8)
    torch.testing.assert_close(k(x), x[:, 1::2] + torch.arange(4.0))

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def odd(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + torch.arange(3).sum()  # length 3
        return out

    _expect_error(odd, (torch.randn(8),), helion.exc.NotSupported, r"torch.arange\(\) of length 3", "length 3")

    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def dynamic(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + torch.arange(t.begin, t.begin + 4).sum()  # not constant
        return out

    _expect_error(dynamic, (torch.randn(8),), helion.exc.NotSupported, "constant int bounds", "not constant")


@helion.kernel(config=helion.Config(block_sizes=[64]))
def _scale_shift(x: torch.Tensor, alpha: hl.constexpr, beta: float) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] * alpha + beta
    return out


def test_constexpr_arguments_are_baked_in_and_specialized(filecheck):
    """alpha: hl.constexpr becomes a constant of the device code (no kernel
    argument) and each value gets its own specialization; beta stays a
    runtime f32 argument."""
    x = torch.randn(100)
    filecheck(_scale_shift.bind((x, 2.5, 1.0)).tile_ir, """
CHECK: tile.kernel @_scale_shift(%{{.*}}: memref<100xf32{{.*}}, %[[BETA:.*]]: f32, %{{.*}}: memref<100xf32{{.*}}) {
CHECK: arith.constant 2.500000e+00 : f32
CHECK: arith.mulf
CHECK: tile.full %[[BETA]]
CHECK: arith.addf
""")
    for alpha, beta in ((2.5, 1.0), (-3.0, 1.0), (2.5, 7.0), (-3.0, -2.0)):  # the fast path too
        torch.testing.assert_close(_scale_shift(x, alpha, beta), x * alpha + beta)
    assert _scale_shift.bind((x, 2.5, 1.0)) is not None
    assert _scale_shift.bind((x, 2.5, 1.0)).key != _scale_shift.bind((x, -3.0, 1.0)).key
    assert _scale_shift.bind((x, 2.5, 1.0)).key == _scale_shift.bind((x, 2.5, 9.0)).key


def test_constexpr_argument_must_be_a_number():
    with pytest.raises(helion.exc.TypeError_, match=r"hl.constexpr argument 'alpha' must be a Python number or bool, got Tensor"):
        _scale_shift(torch.randn(100), torch.randn(1), 1.0)


@pytest.mark.parametrize("value", [1e-06, 1e20, -2.5e-30, 3.0, 0.1])
def test_float_constants_in_exponent_form(value):
    """Python writes 1e-06 without a '.', which MLIR does not parse."""
    x = torch.randn(100)
    torch.testing.assert_close(_scale_shift(x, value, 0.0), x * value)


@helion.kernel()
def _exp_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = acc + torch.exp(x[tile_m, tile_k]) @ torch.exp(y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out


@helion.kernel()
def _row_matmul(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = w.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = torch.exp(x[tile_m, :]) @ torch.exp(w[:, tile_n])
    return out


def test_dot_zeroes_contraction_lanes_past_the_tile():
    """K = 40 in tiles of 16: the last tile's padded lanes load 0 and exp(0) = 1;
    the dot must not add 1 * 1 products for them."""
    x, y = torch.randn(32, 40) * 0.1, torch.randn(40, 24) * 0.1
    _exp_matmul.bind((x, y)).set_config(helion.Config(block_sizes=[16, 16, 16]))
    torch.testing.assert_close(_exp_matmul(x, y).double(), torch.exp(x.double()) @ torch.exp(y.double()), atol=2e-2, rtol=2e-2)
    full = _exp_matmul.bind((torch.randn(32, 48), torch.randn(48, 24))).to_triton_code(helion.Config(block_sizes=[16, 16, 16]))
    assert "arith.select" not in full  # K tiles always full: no lane is zeroed


@pytest.mark.parametrize("k", [5, 12, 40])
def test_full_slice_contraction_gets_a_dot_sized_block(k):
    """x[t, :] @ w[:, t] over K = 5 or 12: the persistent block is at least 16
    (tt.dot's minimum), and the lanes past K are zeroed."""
    x, w = torch.randn(20, k) * 0.1, torch.randn(k, 18) * 0.1
    bound = _row_matmul.bind((x, w))
    config = helion.Config(block_sizes=[16, 16])
    # The tile IR is target-neutral; helion-legalize-for-triton's minimum reaches the ConfigSpec.
    assert 'min_block' not in bound.tile_ir
    assert [s.min_size for s in bound.spec.traced.reduction_slots] == [16]
    ttir = bound.to_triton_code(config)
    assert f"tensor<16x{max(16, 1 << (k - 1).bit_length())}xf32>" in ttir
    bound.set_config(config)
    torch.testing.assert_close(_row_matmul(x, w).double(), torch.exp(x.double()) @ torch.exp(w.double()), atol=2e-2, rtol=2e-2)
    if k == 40:
        with pytest.raises(helion.exc.InvalidConfig, match=r"reduction_loops\[0\] = 8 is not legal; .*\[16, .*minimum for a matmul dimension"):
            bound.to_triton_code(helion.Config(block_sizes=[16, 16], reduction_loops=[8]))


@helion.kernel(config=helion.Config(block_sizes=[32]))
def _axpb(x: torch.Tensor, a: float, n_rep: int) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        acc = x[tile]
        for _ in range(n_rep):
            acc = acc * a
        out[tile] = acc
    return out


def test_launcher_hot_path_and_fallbacks():
    """The generated launcher's hot path (last specialization, C++ tensor
    guard + alignment + scalar values) must never serve a call it does not
    fit: new shapes, dtypes, strides, unaligned views, other int values."""
    _axpb.reset()
    x = torch.randn(100)
    calls = [(x, 2.0, 1), (x, -1.5, 1), (x, 2.0, 2), (torch.randn(64), 3.0, 1), (x, 2.0, 1),
             (torch.randn(100, dtype=torch.float64), 0.5, 1), (torch.randn(200)[::2], 1.5, 1),
             (torch.randn(101)[1:], 1.25, 1), (x, 2.0, 2), (x.clone().requires_grad_(False), 4.0, 1)]
    for v, a, n in calls * 2:
        torch.testing.assert_close(_axpb(v, a, n), v * a ** n)
    assert len(_axpb._specs) == 6  # (100, n=1), (100, n=2), 64, float64, strided, unaligned
    assert _axpb._hot[0] is None  # the last compiled call was unaligned: no hot entry
    y = torch.randn(32)
    torch.testing.assert_close(_axpb(y, 3.0, 1), y * 3.0)
    assert _axpb._hot[0] is not None  # an aligned new specialization becomes hot
    _axpb._fast_cache.clear()
    torch.testing.assert_close(_axpb(y, -2.0, 1), y * -2.0)
    assert not _axpb._fast_cache  # served by the hot path: the slow path would have refilled it
    for v, a, n in calls:
        torch.testing.assert_close(_axpb(v, a, n), v * a ** n)
