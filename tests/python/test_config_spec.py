"""ConfigSpec: the one authority on a kernel's Configs (defaults, random
configs, normalize), checked on kernels defined here."""
import random
import warnings

import pytest
import torch

import helion
import helion.language as hl
from helion.autotuner.config_spec import TRITON_MAX_TENSOR_ELEMENTS, ConfigSpec

from matmul import readme_matmul as matmul
from pointwise import add


@helion.kernel()
def add2d(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = x[tm, tn] * 2 + y[tm, tn]
    return out


@helion.kernel()
def softmax(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t, :] = torch.softmax(x[t, :], dim=1)
    return out


@helion.kernel()
def row_sum_inner(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        acc = hl.zeros([tm], dtype=torch.float32)
        for tn in hl.tile(n):
            acc = acc + x[tm, tn].sum(dim=1)
        out[tm] = acc
    return out


def _cases():
    return {
        "add": (add, lambda: (torch.randn(1000), torch.randn(1000)), lambda x, y: x + y, 1e-5),
        "add2d": (add2d, lambda: (torch.randn(70, 130), torch.randn(70, 130)), lambda x, y: x * 2 + y, 1e-5),
        "softmax": (softmax, lambda: (torch.randn(33, 300),), lambda x: torch.softmax(x.double(), 1), 1e-5),
        "matmul": (matmul, lambda: (torch.randn(70, 50), torch.randn(50, 40)), lambda x, y: x.double() @ y.double(), 2e-2),
        "row_sum_inner": (row_sum_inner, lambda: (torch.randn(37, 300),), lambda x: x.double().sum(1), 1e-4),
    }


# -- normalize: bad values name the field, the value and the legal values ----
@pytest.mark.parametrize("config, message", [
    (dict(block_sizes=[True]), r"block_sizes\[0\] = True is not legal; expected a power of two"),
    (dict(block_sizes=16), r"block_sizes = 16 must be a list"),
    (dict(block_sizes=[2 ** 40]), r"block_sizes\[0\] = 1099511627776 is not legal; expected a power of two in \[1, 1048576\]"),
    (dict(block_sizes=[48]), r"block_sizes\[0\] = 48 is not legal"),
    (dict(block_sizes=[0]), r"block_sizes\[0\] = 0 is not legal"),
    (dict(block_sizes=[-4]), r"block_sizes\[0\] = -4 is not legal"),
    (dict(block_sizes=["64"]), r"block_sizes\[0\] = '64' is not legal"),
    (dict(block_sizes=[64, 64]), r"block_sizes has 2 entries, this kernel needs 1"),
    (dict(l2_groupings=[0]), r"l2_groupings\[0\] = 0 is not legal; expected an integer in \[1, 1024\]"),
    (dict(l2_groupings=4), r"l2_groupings = 4 must be a list"),
    (dict(num_warps=3), r"num_warps = 3 is not legal; expected a power of two in \[1, 32\]"),
    (dict(num_warps=64), r"num_warps = 64 is not legal"),
    (dict(num_stages=0), r"num_stages = 0 is not legal; expected an integer in \[1, 16\]"),
    (dict(num_stages=2.5), r"num_stages = 2.5 is not legal"),
    (dict(pid_type="diagonal"), r"pid_type = 'diagonal' is not legal; expected one of 'flat', 'xyz'"),
    (dict(indexing="tma"), r"indexing = 'tma' is not legal; expected one of 'pointer', 'block_ptr', 'tensor_descriptor'"),
    (dict(range_num_stages=[-1]), r"range_num_stages\[0\] = -1 is not legal"),
    (dict(range_flattens=True), r"range_flattens = True must be a list \(one entry per loop"),
    (dict(range_num_stages=[0, 2]), r"range_num_stages has 2 entries, this kernel needs 1"),
    (dict(range_num_stages=[3]), r"range_num_stages\[0\] = 3 is not legal; expected 0: the grid loop takes loop knobs only"),
    (dict(loop_orders=[[0]]), r"loop_orders has 1 entries, this kernel needs 0"),
])
def test_normalize_refuses_bad_values(config, message):
    bound = add.bind((torch.randn(100), torch.randn(100)))
    with pytest.raises(helion.exc.InvalidConfig, match=message):
        bound.config_spec.normalize(helion.Config(**config))
    with pytest.raises(helion.exc.InvalidConfig, match=message):
        bound.set_config(config)  # a dict goes through the same authority


def test_normalize_names_the_kernel_and_refuses_non_configs():
    bound = add2d.bind((torch.randn(8, 8), torch.randn(8, 8)))
    with pytest.raises(helion.exc.InvalidConfig, match=r"add2d: Config.loop_orders\[0\] = \[0, 0\] is not legal; expected a permutation of \[0, 1\]"):
        bound.config_spec.normalize(helion.Config(loop_orders=[[0, 0]]))
    with pytest.raises(helion.exc.InvalidConfig, match="expected a helion.Config or a dict, got list"):
        bound.config_spec.normalize([64, 64])


def test_tensor_element_limit_is_refused_before_triton():
    bound = softmax.bind((torch.randn(4, 8192),))
    with pytest.raises(helion.exc.InvalidConfig, match=r"8,388,608 elements; Triton allows at most 1,048,576"):
        bound.config_spec.normalize(helion.Config(block_sizes=[1024]))
    # The same rows with a reduction loop fit.
    assert bound.config_spec.normalize(helion.Config(block_sizes=[1024], reduction_loops=[512]))


def test_normalize_fills_defaults_and_is_idempotent():
    spec = matmul.bind((torch.randn(64, 64), torch.randn(64, 64))).config_spec
    full = spec.normalize(helion.Config(block_sizes=[32, 32, 16]))
    assert full.block_sizes == [32, 32, 16]
    assert full.loop_orders == [[0, 1]] and full.num_warps >= 1 and full.num_stages >= 1
    assert spec.normalize(full) == full
    assert spec.normalize(dict(block_sizes=[32, 32, 16])) == full


# -- early spellings -----------------------------------------------------------
def test_early_readme_spellings_are_normalized():
    c = helion.Config(block_sizes=[[64, 32], [16]], loop_orders=[[1, 0]], l2_grouping=8, use_yz_grid=False)
    assert c.block_sizes == [64, 32, 16]
    assert c.l2_groupings == [8]
    assert c.pid_type == "flat"
    assert helion.Config(use_yz_grid=True).pid_type == "xyz"
    spec = matmul.bind((torch.randn(64, 64), torch.randn(64, 64))).config_spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = spec.normalize(c)
    assert full.block_sizes == [64, 32, 16] and full.l2_groupings == [8]
    with pytest.raises(helion.exc.InvalidConfig, match="not both"):
        helion.Config(l2_grouping=8, l2_groupings=[4])
    with pytest.raises(helion.exc.InvalidConfig, match="use_yz_grid = 'yes' must be True or False"):
        helion.Config(use_yz_grid="yes")


def test_default_configs_respect_the_element_budget():
    wide = softmax.bind((torch.randn(4, 8192),)).config_spec
    cfg = wide.default_config()
    assert cfg.block_sizes == [1] and cfg.reduction_loops == [None] and cfg.num_warps == 16
    assert wide.max_elements(cfg) == 8192
    very_wide = softmax.bind((torch.randn(2, 65536),)).config_spec
    cfg = very_wide.default_config()
    assert cfg.reduction_loops == [8192] and very_wide.max_elements(cfg) <= 8192
    # the persistent fallback comes next
    assert very_wide.default_candidates()[1].reduction_loops == [None]
    narrow = softmax.bind((torch.randn(64, 512),)).config_spec
    assert narrow.max_elements(narrow.default_config()) <= 8192 and narrow.default_config().block_sizes[0] >= 8


def test_default_config_of_a_matmul_is_tensor_core_sized():
    big = matmul.bind((torch.randn(1024, 512), torch.randn(512, 1024))).config_spec
    cfg = big.default_config()
    assert cfg.block_sizes == [128, 128, 64] and cfg.l2_groupings == [8] and cfg.num_warps == 8
    small = matmul.bind((torch.randn(20, 30), torch.randn(30, 10))).config_spec
    assert small.default_config().block_sizes == [32, 16, 32]


@pytest.mark.parametrize("name", sorted(_cases()))
def test_default_config_runs_on_the_cpu(name, poison_empty):
    kernel, make, ref, tol = _cases()[name]
    args = make()
    kernel.reset()
    result = kernel(*args)
    torch.testing.assert_close(result.double(), ref(*args).double(), atol=tol, rtol=tol)


# -- random configs ----------------------------------------------------------
def test_random_configs_are_seeded_and_in_the_search_space():
    spec = matmul.bind((torch.randn(300, 200), torch.randn(200, 100))).config_spec
    assert spec.random_config(7) == spec.random_config(7)
    drawn = {spec.random_config(s) for s in range(60)}
    assert len(drawn) > 40  # not a handful of repeats
    for cfg in drawn:
        assert spec.in_search_space(cfg)
        assert spec.normalize(cfg) == spec.normalize(spec.normalize(cfg))
        assert spec.unflatten(spec.flatten(cfg)) == cfg
        # no more than 256 elements per thread: such configs compiled for minutes
        assert spec.max_elements(cfg) <= cfg.num_warps * 32 * 256


def test_random_configs_cover_each_value_of_each_fragment():
    spec = softmax.bind((torch.randn(16, 1024),)).config_spec
    rng = random.Random(0)
    seen = [set() for _ in spec.fields()]
    for _ in range(400):
        for i, v in enumerate(spec.flatten(spec.random_config(rng))):
            seen[i].add(repr(v))
    for (name, _, frag), values in zip(spec.fields(), seen):
        if hasattr(frag, "choices"):
            assert {repr(v) for v in frag.choices} == values, name


@pytest.mark.parametrize("name", sorted(_cases()))
def test_random_configs_compute_the_right_numbers_on_the_cpu(name, poison_empty):
    """Acceptance draws random configs from the spec: each must lower, run
    and agree with torch."""
    kernel, make, ref, tol = _cases()[name]
    args = make()
    bound = kernel.bind(args)
    expected = ref(*args).double()
    for seed in range(6):
        cfg = bound.config_spec.random_config(seed)
        bound.set_config(cfg)
        torch.testing.assert_close(kernel(*args).double(), expected, atol=tol, rtol=tol, msg=lambda m: f"{cfg!r}: {m}")
    kernel.reset()


def test_random_configs_compile_for_sm90():
    from triton.backends.compiler import GPUTarget

    from helion.compiler import pipeline

    bound = add2d.bind((torch.randn(70, 130), torch.randn(70, 130)))
    for seed in (0, 1):
        cfg = bound.config_spec.normalize(bound.config_spec.random_config(seed))
        ttir = pipeline.lower_to_ttir(bound.spec.traced, cfg)
        ck = pipeline.compile_ttir(ttir, cfg, target=GPUTarget("cuda", 90, 32))
        assert ck.metadata.num_warps == cfg.num_warps


def test_grid_loop_flatten_is_searched_only_under_a_persistent_pid_type():
    # Drawn with a flat grid it is reset (the grid loop takes knobs only when
    # persistent); every draw is a legal config.
    spec = matmul.bind((torch.randn(64, 48), torch.randn(48, 32))).config_spec
    seen = set()
    for seed in range(60):
        cfg = spec.normalize(spec.random_config(seed))
        seen.add((cfg.pid_type, cfg.range_flattens[0]))
        assert cfg.range_flattens[1] is None
    assert ("flat", True) not in seen
    assert {("persistent_interleaved", True), ("persistent_blocked", True), ("flat", None)} <= seen
    assert "range_flattens" not in [n for n, _, _ in add.bind((torch.randn(100), torch.randn(100))).config_spec.fields()]


def test_spec_is_built_from_the_kernel():
    spec = matmul.bind((torch.randn(64, 48), torch.randn(48, 32))).config_spec
    assert isinstance(spec, ConfigSpec)
    names = [(n, i) for n, i, _ in spec.fields()]
    assert names == [("block_sizes", 0), ("block_sizes", 1), ("block_sizes", 2), ("loop_orders", 0), ("l2_groupings", 0),
                     ("range_flattens", 0), ("range_flattens", 1), ("num_warps", None), ("num_stages", None),
                     ("pid_type", None), ("indexing", None)]
    assert spec.default_config().pid_type == "flat" and spec.default_config().indexing == "pointer"
    assert spec.default_config().range_flattens == [None, None]
    add_spec = add.bind((torch.randn(100), torch.randn(100))).config_spec
    assert "pid_type" not in [n for n, _, _ in add_spec.fields()]  # searched for dot kernels only
    assert spec.num_loops == 2  # the grid and the k loop
    assert spec.has_dot and spec.block_sizes[0].low == 16 and spec.block_sizes[0].high == 64
    assert TRITON_MAX_TENSOR_ELEMENTS == 1 << 20


# -- per-loop knobs ------------------------------------------------------------
def test_loop_knobs_reach_the_ttir_and_keep_the_numbers(poison_empty):
    """range_num_stages / range_multi_buffers / range_warp_specializes /
    range_flattens become Triton's scf.for attributes on the k loop;
    range_unroll_factors and static_ranges unroll it (in MLIR, before Triton)."""
    x, y = torch.randn(70, 64), torch.randn(64, 40)
    bound = matmul.bind((x, y))
    base = dict(block_sizes=[32, 32, 16])
    plain = bound.to_triton_code(base)
    assert "tt.num_stages" not in plain and plain.count('"scf.for"') == 1
    knobs = bound.to_triton_code(dict(base, range_num_stages=[0, 3], range_multi_buffers=[None, False],
                                      range_warp_specializes=[None, True], range_flattens=[None, True]))
    assert "tt.num_stages = 3 : i32" in knobs and "tt.disallow_acc_multi_buffer" in knobs
    assert "tt.warp_specialize" in knobs and "tt.flatten" in knobs
    unrolled = bound.to_triton_code(dict(base, range_unroll_factors=[0, 2]))
    assert unrolled.count('"tt.dot"') == 2 * plain.count('"tt.dot"')
    full = bound.to_triton_code(dict(base, static_ranges=[False, True]))
    assert '"scf.for"' not in full and full.count('"tt.dot"') == 4  # 64 / 16 steps
    for cfg in (dict(base, range_unroll_factors=[0, 2]), dict(base, static_ranges=[False, True]),
                dict(base, range_num_stages=[0, 3], range_multi_buffers=[None, False])):
        bound.set_config(cfg)
        torch.testing.assert_close(matmul(x, y).double(), x.double() @ y.double(), atol=2e-2, rtol=2e-2)
    matmul.reset()


def test_loop_knobs_refused_where_they_cannot_apply():
    bound = matmul.bind((torch.randn(70, 64), torch.randn(64, 40)))
    with pytest.raises(helion.exc.InvalidConfig, match=r"loop 1 has both static_ranges .* and range_unroll_factors=2"):
        bound.config_spec.normalize(dict(range_unroll_factors=[0, 2], static_ranges=[False, True]))
    with pytest.raises(helion.exc.InvalidConfig, match=r"range_multi_buffers\[1\] = 2 is not legal; expected one of None, False, True"):
        bound.config_spec.normalize(dict(range_multi_buffers=[None, 2]))
    # a causal attention's key loop ends at tile_m.end: no static trip count to unroll fully
    import attention_canonical

    q = torch.randn(2, 64, 32)
    causal = attention_canonical.attention.bind((q, q, q, True))
    with pytest.raises(helion.exc.CompilationError, match="static_ranges needs a static trip count"):
        causal.to_triton_code(dict(block_sizes=[32, 32], static_ranges=[False, True]))


def test_loop_knobs_compile_for_sm90():
    from triton.backends.compiler import GPUTarget

    from helion.compiler import pipeline

    bound = matmul.bind((torch.randn(256, 128, dtype=torch.bfloat16), torch.randn(128, 128, dtype=torch.bfloat16)))
    cfg = bound.config_spec.normalize(dict(block_sizes=[64, 64, 32], range_num_stages=[0, 3], range_unroll_factors=[0, 2],
                                           range_multi_buffers=[None, False], num_warps=4))
    ck = pipeline.compile_ttir(pipeline.lower_to_ttir(bound.spec.traced, cfg), cfg, target=GPUTarget("cuda", 90, 32))
    assert "mma" in ck.asm["ptx"] or "wgmma" in ck.asm["ptx"]


# -- the widened spec (full effort): per-loop knobs and eviction policies ------
def test_widened_spec_searches_inner_loop_knobs_and_each_load_policy():
    bound = matmul.bind((torch.randn(70, 64), torch.randn(64, 40)))
    spec = bound.config_spec
    wide = spec.widened()
    names = {(name, i) for name, i, _ in wide.fields()} - {(name, i) for name, i, _ in spec.fields()}
    assert names == {("range_num_stages", 0), ("range_num_stages", 1), ("range_unroll_factors", 0),
                     ("range_unroll_factors", 1), ("range_multi_buffers", 0), ("range_multi_buffers", 1),
                     ("range_warp_specializes", 0), ("range_warp_specializes", 1),
                     ("load_eviction_policies", 0), ("load_eviction_policies", 1)}
    grid_entries = [f for name, i, f in wide.fields() if i == 0 and name.startswith("range_") and name != "range_flattens"]
    assert all(len(f.choices) == 1 for f in grid_entries)  # the grid loop stays neutral
    rng = random.Random(3)
    drawn = [wide.random_config(rng) for _ in range(40)]
    assert len({c.range_num_stages[1] for c in drawn}) > 2 and len({c.load_eviction_policies[0] for c in drawn}) == 3
    for c in drawn:
        assert spec.normalize(c) == c  # every widened draw is a legal config of the kernel
    # a kernel without an inner loop gets only the eviction policies
    softmax_fields = {name for name, _, _ in softmax.bind((torch.randn(8, 64),)).config_spec.widened().fields()}
    assert "load_eviction_policies" in softmax_fields
    assert not any(n.startswith("range_") for n in softmax_fields)


def test_compact_drops_only_all_neutral_fine_knobs():
    spec = matmul.bind((torch.randn(70, 64), torch.randn(64, 40))).config_spec
    wide = spec.widened()
    default = wide.default_config()
    assert default.range_num_stages == [0, 0] and spec.compact(default) == spec.default_config()
    tuned = wide.compact(helion.Config(**dict(default.config, range_num_stages=[0, 3],
                                              load_eviction_policies=["", "first"])))
    assert tuned.range_num_stages == [0, 3] and tuned.load_eviction_policies == ["", "first"]
    assert tuned.range_unroll_factors is None and tuned.range_multi_buffers is None


@pytest.mark.parametrize("name", ["matmul", "row_sum_inner", "softmax"])
def test_widened_random_configs_keep_the_numbers_and_compile_for_sm90(name, poison_empty, compile_case_sm90):
    kernel, make, ref, tol = _cases()[name]
    args = make()
    bound = kernel.bind(args)
    wide = bound.config_spec.widened()
    rng = random.Random(11)
    drawn = [wide.random_config(rng) for _ in range(4)]
    for cfg in drawn:
        bound.set_config(cfg)
        torch.testing.assert_close(kernel(*args).double(), ref(*args).double(), atol=tol, rtol=tol)
    for cfg in drawn[:2]:
        bf16 = tuple(a.to(torch.bfloat16) for a in args)
        compile_case_sm90(kernel, bf16, cfg)
    kernel.reset()


def test_host_helpers_cdiv_next_power_of_2_and_get_num_sm(poison_empty):
    import os

    import helion.runtime

    assert [helion.cdiv(a, 4) for a in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]
    assert [helion.next_power_of_2(n) for n in (0, 1, 2, 3, 17, 64)] == [1, 1, 2, 4, 32, 64]
    assert helion.runtime.get_num_sm("cpu") == (os.cpu_count() or 1)
    with pytest.raises(helion.exc.NotSupported, match="get_num_sm: device meta"):
        helion.runtime.get_num_sm("meta")

    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def pad_rows(x: torch.Tensor) -> torch.Tensor:
        # host code sizes the output with the helpers; the device loop fills it
        out = torch.zeros([helion.next_power_of_2(x.size(0)), helion.cdiv(x.size(1), 2)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t, :] = x[t, :out.size(1)]
        return out

    x = torch.randn(5, 8)
    got = pad_rows(x)
    assert got.shape == (8, 4)
    torch.testing.assert_close(got[:5], x[:, :4])
    assert (got[5:] == 0).all()


def test_maxnreg_reaches_the_ptx_and_bad_values_are_refused(compile_case_sm90):
    args = (torch.randn(64, 48), torch.randn(48, 32))
    _, compiled, cfg = compile_case_sm90(matmul, args, helion.Config(block_sizes=[16, 16, 16], maxnreg=128))
    assert cfg.maxnreg == 128 and ".maxnreg 128" in compiled.asm["ptx"]
    _, plain, _ = compile_case_sm90(matmul, args, helion.Config(block_sizes=[16, 16, 16]))
    assert ".maxnreg" not in plain.asm["ptx"]
    spec = matmul.bind(args).config_spec
    for bad in (100, "128", True):
        with pytest.raises(helion.exc.InvalidConfig, match=r"maxnreg = .* is not legal; expected one of None, 32, 64, 128, 256"):
            spec.normalize(helion.Config(block_sizes=[16, 16, 16], maxnreg=bad))


def test_rows_that_meet_a_static_size_are_never_looped_by_the_search():
    """RoPE's half-rows meet tensors of their static size (tile.rebind):
    roll-reductions cannot loop them, so neither the search nor the default
    does; a user's looped config gets the pass's error naming the line."""
    import layout_ops

    args = layout_ops.rope_inputs(37, 4, 64, "cpu", torch.float32)
    spec = layout_ops.rope.bind(args).config_spec
    assert [f.choices for f in spec.reduction_loops] == [[None]]
    assert all(spec.random_config(i).reduction_loops == [None] for i in range(20))
    with pytest.raises(helion.exc.CompilationError, match="cannot loop reduction_loops"):
        layout_ops.rope.bind(args).to_triton_code(helion.Config(block_sizes=[16, 2], reduction_loops=[16]))
