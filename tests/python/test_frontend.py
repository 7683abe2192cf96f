"""Frontend: tile IR checked with FileCheck, Config handling, clear errors."""
import inspect
import sys

import pytest
import torch

import helion
import helion.language as hl
import kernels


def test_readme_matmul_tile_ir(filecheck):
    bound = kernels.readme_matmul.bind((torch.randn(100, 70), torch.randn(70, 50)))
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
    bound = kernels.broadcast_add.bind((torch.randn(64, dtype=torch.bfloat16), torch.randn(32, dtype=torch.bfloat16)))
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
    bound = kernels.add_const.bind((x,))
    divisible = bound.to_triton_code(helion.Config(block_sizes=[128]))
    assert '"tt.load"' in divisible and "operandSegmentSizes = array<i32: 1, 0, 0>" in divisible
    bound = kernels.add_const.bind((torch.randn(1000),))
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
    with pytest.raises(helion.exc.InvalidConfig, match="power of two"):
        helion.Config(num_warps=3)


def test_wrong_config_length_is_a_clear_error():
    bound = kernels.readme_matmul.bind((torch.randn(64, 64), torch.randn(64, 64)))
    with pytest.raises(helion.exc.InvalidConfig, match="block_sizes needs 3 entries"):
        bound.to_triton_code(helion.Config(block_sizes=[64, 64]))
    with pytest.raises(helion.exc.InvalidConfig, match="must be a power of two"):
        bound.to_triton_code(helion.Config(block_sizes=[64, 48, 16]))
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
    assert '"tt.func"' in err and "tt.get_program_id" in err


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
            while False:  # loop
                pass
            out[t] = x[t]
        return out

    _expect_error(w, (torch.randn(8),), helion.exc.NotSupported, "While", "loop")


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
    assert '"tt.func"' in err
