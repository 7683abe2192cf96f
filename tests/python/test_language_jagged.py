"""Tile loops whose bounds the kernel loads (`for t in hl.tile(offsets[g],
offsets[g + 1])`, `hl.tile(lengths[g])`, `hl.grid(start, end)`): jagged
rows. The trip count and the mask of the last, partial tile come from the
loaded values at run time; the block size is an ordinary Config entry.
Numerics against float64 torch on the CPU executor and (marker gpu) on CUDA,
with random row lengths and an empty row; stores that must stop at a row's
end (another row's elements, or zeros, lie past it); config knobs on such
loops; sm_90 compiles through Triton; errors at the user's line. The
examples built on them (examples/jagged.py) run in test_examples.py.
hl.jagged_tile (per-lane ends inside enclosing tiles) is tested in
test_language_jagged_tile.py."""

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, line_of, sync

C = helion.Config


def _offsets(rows: int, max_len: int, device, dtype=torch.int64) -> torch.Tensor:
    """Offsets of `rows` rows of random lengths in [0, max_len], one of them empty."""
    lengths = torch.randint(0, max_len + 1, (rows,), device=device)
    lengths[rows // 3] = 0
    return torch.cat([torch.zeros(1, dtype=torch.int64, device=device), lengths.cumsum(0)]).to(dtype)


def _bounds(offsets: torch.Tensor) -> list[tuple[int, int]]:
    return [(int(offsets[i]), int(offsets[i + 1])) for i in range(offsets.numel() - 1)]


# ------------------------------------------------------------------ hl.tile(start, end)
@helion.kernel()
def row_sums(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The sum of all elements of each jagged row: full slices `values[t, :]`
    (persistent or looped by reduction_loops) inside the loaded-bounds loop."""
    rows = offsets.size(0) - 1
    out = torch.empty([rows], dtype=torch.float32, device=values.device)
    for g in hl.grid(rows):
        start = offsets[g]
        end = offsets[g + 1]
        acc = hl.zeros([1], dtype=torch.float32)
        for t in hl.tile(start, end):
            acc += values[t, :].sum(-1).sum(0, keepdim=True)
        out[g] = acc.sum(0)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[1]), C(block_sizes=[16], reduction_loops=[16]),
                                    C(block_sizes=[64], num_warps=8), C(block_sizes=[4], reduction_loops=[32], num_stages=3)])
def test_tile_between_loaded_bounds(device, config):
    offsets = _offsets(13, 45, device)
    values = torch.randn(int(offsets[-1]), 50, device=device)
    row_sums.bind((values, offsets)).set_config(config)
    out = row_sums(values, offsets)
    sync(device)
    ref = torch.stack([values[a:b].double().sum() for a, b in _bounds(offsets)])
    torch.testing.assert_close(out.double(), ref, atol=1e-4, rtol=1e-5)


@helion.kernel()
def scale_segments(values: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
    """Each segment's rows times its number + 1: the stores of a segment's
    last tile must stop at its end, where the next segment's rows begin."""
    out = torch.zeros_like(values)
    for g in hl.grid(starts.size(0)):
        for t in hl.tile(starts[g], ends[g]):
            out[t, :] = values[t, :] * (g + 1)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[16], reduction_loops=[16]), C(block_sizes=[64])])
def test_stores_stop_at_the_loaded_end(device, config):
    # Segments in reverse order: the CPU runs the programs in order, so one
    # that wrote past its segment's end would overwrite the segment after it,
    # which an earlier program wrote. 64 rows: the tensor's end hides no mask.
    cuts = torch.sort(torch.randint(0, 65, (8,), device=device)).values
    offsets = torch.cat([cuts.new_zeros(1), cuts, cuts.new_full((1,), 64)])
    order = torch.arange(8, -1, -1, device=device)
    starts, ends = offsets[:-1][order], offsets[1:][order]
    values = torch.randn(64, 32, device=device)
    scale_segments.bind((values, starts, ends)).set_config(config)
    out = scale_segments(values, starts, ends)
    sync(device)
    ref = torch.zeros(64, 32, dtype=torch.float64, device=device)
    for g in range(9):
        ref[starts[g]:ends[g]] = values[starts[g]:ends[g]].double() * (g + 1)
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-6)


# ------------------------------------------------------------------ hl.tile(end), hl.grid(start, end)
@helion.kernel()
def prefix_plus_one(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x + 1 on the first lengths[g] elements of row g, zeros after them."""
    out = torch.zeros_like(x)
    for g in hl.grid(x.size(0)):
        for t in hl.tile(lengths[g]):
            out[g, t] = x[g, t] + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64]), C(block_sizes=[1], num_warps=1)])
def test_tile_to_a_loaded_end(device, config):
    x = torch.randn(7, 64, device=device)
    lengths = torch.tensor([64, 16, 0, 33, 1, 63, 48], device=device)
    prefix_plus_one.bind((x, lengths)).set_config(config)
    out = prefix_plus_one(x, lengths)
    sync(device)
    keep = torch.arange(64, device=device)[None, :] < lengths[:, None]
    torch.testing.assert_close(out.double(), torch.where(keep, x.double() + 1, 0.0), atol=1e-6, rtol=1e-6)


@helion.kernel()
def column_sums(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The column sums of each jagged row, one row of values at a time (hl.grid over loaded bounds)."""
    rows = offsets.size(0) - 1
    out = torch.empty([rows, values.size(1)], dtype=torch.float32, device=values.device)
    for g in hl.grid(rows):
        start = offsets[g]
        end = offsets[g + 1]
        for tc in hl.tile(values.size(1)):
            acc = hl.zeros([tc], dtype=torch.float32)
            for i in hl.grid(start, end):
                acc += values[i, tc]
            out[g, tc] = acc
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[64], num_warps=2)])
def test_grid_between_loaded_bounds(device, config):
    offsets = _offsets(11, 20, device)
    values = torch.randn(int(offsets[-1]), 40, device=device)
    column_sums.bind((values, offsets)).set_config(config)
    out = column_sums(values, offsets)
    sync(device)
    ref = torch.stack([values[a:b].double().sum(0) for a, b in _bounds(offsets)])
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ tile attributes, computed and nested bounds
@helion.kernel()
def tile_facts(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Per element: its position in its row, its tile's length (t.end - t.begin,
    short for a row's last tile), t.block_size, and the value plus its row number."""
    out = torch.zeros([values.size(0), 4], dtype=torch.float32, device=values.device)
    for g in hl.grid(offsets.size(0) - 1):
        start = offsets[g]
        end = offsets[g + 1]
        for t in hl.tile(start, end, block_size=8):
            out[t, 0] = (t.index - start).float()
            out[t, 1] = (t.end - t.begin).float() + values[t] * 0
            out[t, 2] = t.block_size + values[t] * 0
            out[t, 3] = values[t] + g
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_tile_attributes_over_int32_offsets(device):
    offsets = _offsets(9, 21, device, torch.int32)
    values = torch.randn(int(offsets[-1]), device=device)
    out = tile_facts(values, offsets)
    sync(device)
    ref = torch.zeros(values.numel(), 4, dtype=torch.float64)
    for g, (a, b) in enumerate(_bounds(offsets)):
        for i in range(a, b):
            begin = a + (i - a) // 8 * 8
            ref[i] = torch.tensor([i - a, min(begin + 8, b) - begin, 8, float(values[i]) + g])
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-6, rtol=1e-6)


@helion.kernel()
def shifted_prefix_sums(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x[g, 1:lengths[g] + 1].sum(): bounds computed from a loaded value (via
    hl.load), a registered block size, and an hl.tile(t) over the outer tile."""
    n = lengths.size(0)
    bs = hl.register_block_size(16, 64)
    out = torch.empty([n], dtype=torch.float32, device=x.device)
    for g in hl.grid(n):
        length = hl.load(lengths, [g])
        acc = hl.zeros([1], dtype=torch.float32)
        for t in hl.tile(1, length + 1, block_size=bs):
            for t2 in hl.tile(t):
                acc += x[g, t2].sum(0, keepdim=True)
        out[g] = acc.sum(0)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16, 4]), C(block_sizes=[32, 32]), C(block_sizes=[64, 8])])
def test_computed_bounds_and_a_tile_of_the_tile(device, config):
    x = torch.randn(9, 80, device=device)
    lengths = torch.randint(0, 80, (9,), device=device)
    lengths[4] = 0
    shifted_prefix_sums.bind((x, lengths)).set_config(config)
    out = shifted_prefix_sums(x, lengths)
    sync(device)
    ref = torch.stack([x[g, 1:int(lengths[g]) + 1].double().sum() for g in range(9)])
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)


@helion.kernel()
def prefix_block_double(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """2 * x[g, :lengths[g], :] through a two-dim hl.tile with a loaded bound."""
    out = torch.zeros_like(x)
    for g in hl.grid(x.size(0)):
        for ti, tj in hl.tile([lengths[g], x.size(2)]):
            out[g, ti, tj] = x[g, ti, tj] * 2
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8, 8]), C(block_sizes=[16, 4], loop_orders=[[1, 0]])])
def test_multi_dim_tile_with_a_loaded_bound(device, config):
    x = torch.randn(5, 30, 20, device=device)
    lengths = torch.tensor([30, 0, 7, 16, 29], device=device)
    prefix_block_double.bind((x, lengths)).set_config(config)
    out = prefix_block_double(x, lengths)
    sync(device)
    keep = (torch.arange(30, device=device)[None, :] < lengths[:, None])[:, :, None]
    torch.testing.assert_close(out.double(), torch.where(keep, 2 * x.double(), 0.0), atol=0, rtol=0)


@helion.kernel(index_dtype=torch.int64)
def row_sums_64(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    rows = offsets.size(0) - 1
    out = torch.empty([rows], dtype=torch.float32, device=values.device)
    for g in hl.grid(rows):
        acc = hl.zeros([1], dtype=torch.float32)
        for t in hl.tile(offsets[g], offsets[g + 1]):
            acc += values[t].sum(0, keepdim=True)
        out[g] = acc.sum(0)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_loaded_bounds_with_64_bit_indices(device):
    offsets = _offsets(10, 50, device)
    values = torch.randn(int(offsets[-1]), device=device)
    row_sums_64.bind((values, offsets)).set_config(C(block_sizes=[16]))
    out = row_sums_64(values, offsets)
    sync(device)
    ref = torch.stack([values[a:b].double().sum() for a, b in _bounds(offsets)])
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ config knobs on loaded-bounds loops
def _grouped_gemm_case(device, dtype=torch.float32):
    from jagged import grouped_gemm, grouped_gemm_inputs, grouped_gemm_reference
    return grouped_gemm, grouped_gemm_inputs(5, 48, 40, 40, device, dtype), grouped_gemm_reference


# grouped_gemm's loops: the grid, the rows between loaded bounds, n, k.
KNOBS = [C(block_sizes=[16, 16, 16], range_unroll_factors=[0, 2, 0, 0]),
         C(block_sizes=[16, 32, 16], range_num_stages=[0, 3, 0, 0], range_flattens=[None, True, None, None]),
         C(block_sizes=[32, 16, 16], pid_type="persistent_blocked"),
         C(block_sizes=[16, 16, 32], pid_type="persistent_interleaved", range_unroll_factors=[2, 0, 0, 0]),
         C(block_sizes=[16, 16, 16], range_warp_specializes=[None, True, None, None])]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", KNOBS)
def test_loop_knobs_on_a_loaded_bounds_loop(device, config, compile_case_sm90):
    kernel, args, reference = _grouped_gemm_case(device)
    if device == "cpu":
        _, ck, _ = compile_case_sm90(kernel, args, config)
        assert len(ck.asm["cubin"]) > 1000
    kernel.bind(args).set_config(config)
    out = kernel(*args)
    sync(device)
    torch.testing.assert_close(out.double(), reference(*args), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("indexing", ["block_ptr", "tensor_descriptor"])
def test_block_indexing_falls_back_where_a_tile_ends_at_a_loaded_bound(device, indexing):
    # The rows of a group end at offsets[g + 1], not at the tensor's edge:
    # x and out keep pointers (and say why); w[g] may use blocks.
    kernel, args, reference = _grouped_gemm_case(device, torch.bfloat16)
    with pytest.warns(UserWarning, match=f"jagged.py:\\d+: store uses pointers, not {indexing}: a tile of it ends "
                                         "before the tensor does"):
        kernel.bind(args).set_config(C(block_sizes=[64, 64, 16], indexing=indexing))
    out = kernel(*args)
    sync(device)
    torch.testing.assert_close(out.double(), reference(*args), atol=1e-1, rtol=5e-2)


def test_static_range_of_a_loaded_bounds_loop_is_refused_at_its_line():
    kernel, args, _ = _grouped_gemm_case("cpu")
    import jagged
    line = line_of(jagged.grouped_gemm.fn, "for tm in hl.tile(start, end)")
    with pytest.raises(exc.CompilationError, match=f"jagged.py\":{line}:\\d+\\): error: .*static_ranges needs a static "
                                                   "trip count"):
        kernel.bind(args).set_config(C(block_sizes=[16, 16, 16], static_ranges=[False, True, False, False]))


@pytest.mark.filterwarnings("ignore:helion.*uses pointers, not")  # block indexing drawn where a tile ends at a loaded bound
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["jagged_sum", "jagged_mean", "jagged_softmax", "segment_max", "grouped_gemm"])
def test_random_configs_of_jagged_examples(device, name):
    # Block sizes of loops over loaded bounds have no extent to cap them:
    # whatever the search space draws must still compute the right numbers.
    from registry import EXAMPLES
    ex = EXAMPLES[name]
    args = ex.inputs(device, torch.float32)
    bound = ex.kernel.bind(args)
    ran = 0
    for seed in range(8):
        try:
            bound.set_config(bound.config_spec.random_config(seed))
        except helion.exc.CompilationError as e:  # as the autotuner does: drawn tiles may not fit in shared memory
            assert device == "cuda" and "does not fit on this GPU" in str(e), e
            continue
        out = ex.kernel(*args)
        sync(device)
        torch.testing.assert_close(out.double(), ex.reference(*args), atol=ex.fp32_tol[0], rtol=ex.fp32_tol[1])
        ran += 1
    assert ran >= 5


# ------------------------------------------------------------------ sm_90
def test_loaded_bounds_compile_for_sm90(compile_case_sm90):
    offsets = torch.tensor([0, 5, 5, 60, 90])
    values = torch.randn(90, 24)
    cases = ((row_sums, (values, offsets), C(block_sizes=[16], reduction_loops=[8])),
             (scale_segments, (values, offsets[:-1], offsets[1:]), C(block_sizes=[32])),
             (prefix_plus_one, (torch.randn(4, 64), torch.tensor([3, 0, 64, 17])), C(block_sizes=[16])),
             (column_sums, (values, offsets), C(block_sizes=[8])),
             (tile_facts, (values[:, 0].contiguous(), offsets.int()), C()),
             (shifted_prefix_sums, (torch.randn(4, 80), torch.tensor([3, 0, 79, 17])), C(block_sizes=[32, 8])),
             (prefix_block_double, (torch.randn(4, 30, 20), torch.tensor([3, 0, 30, 17])), C(block_sizes=[8, 16])),
             (row_sums_64, (values[:, 0].contiguous(), offsets), C(block_sizes=[16])))
    for kernel, args, config in cases:
        ttir, ck, _ = compile_case_sm90(kernel, args, config)
        assert len(ck.asm["cubin"]) > 1000
        assert '"scf.for"' in ttir.text


# ------------------------------------------------------------------ bad bounds
def _k_float_bound(x):
    out = torch.zeros_like(x)
    for g in hl.grid(x.size(0)):
        for t in hl.tile(x[g]):  # BAD
            out[t] = 1.0
    return out


def _k_bool_bound(x):
    out = torch.zeros_like(x)
    for g in hl.grid(x.size(0)):
        for t in hl.tile(0, x[g] > 0):  # BAD
            out[t] = 1.0
    return out


def _k_tensor_bound(x):
    out = torch.zeros_like(x)
    for t0 in hl.tile(x.size(0)):
        for t in hl.grid(x[t0].int()):  # BAD
            out[t] = 1.0
    return out


def _k_carried_takes_the_loop_tile(x):
    out = torch.zeros([4], dtype=x.dtype, device=x.device)
    for g in hl.grid(4):
        acc = hl.zeros([1], dtype=torch.float32)
        for t in hl.tile(g * 16, g * 16 + 16):  # BAD
            acc = acc + x[t]  # [1] + [t]: the loop's own tile, gone after it
        out[g] = acc.sum(0)
    return out


BAD = [
    (_k_float_bound, exc.TypeError_, r"loop bounds must be integers, got a torch.float32 scalar"),
    (_k_bool_bound, exc.TypeError_, r"loop bounds must be integers, got a torch.bool scalar"),
    (_k_tensor_bound, exc.TypeError_, r"loop bounds must be integers, got a torch.int32 tensor of shape \[block0\]; a loop "
                                      r"bound is one value: load it at one position \(offsets\[g\] with an hl.grid index"),
    (_k_carried_takes_the_loop_tile, exc.TypeError_, r"'acc' is carried out of this loop but takes the shape \[block0\] in "
                                                      r"it, a dim of which is this loop's tile 't'; reduce over that dim"),
]


@pytest.mark.parametrize("fn,err,match", [pytest.param(*case, id=case[0].__name__[3:]) for case in BAD])
def test_bad_bound_names_the_problem_and_the_line(fn, err, match):
    kernel = helion.kernel(fn, config=C(block_sizes=[16]))
    with pytest.raises(err, match=match) as info:
        kernel(torch.randn(64))
    assert info.value.location.endswith(f":{line_of(fn, '# BAD')}"), info.value.location
