"""Scans in device code: torch.cumsum / cumprod (and the methods),
hl.cumsum / cumprod with reverse, hl.associative_scan with a user combine
function over one tensor or a tuple; also hl.split / hl.join and
hl.atomic_cas (claiming slots, a spin lock, tiles that need no mask). Numerics against a
float64 torch reference on the CPU executor and (marker gpu) on CUDA, with
tiles that end past the tensor (their lanes must not leak, in reverse scans
too), sm_90 compiles through Triton, and the errors of bad calls at the
user's line."""

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, line_of, sync

C = helion.Config


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _run(kernel, args, config):
    kernel.bind(args).set_config(config)
    out = kernel(*args)
    sync(args[0].device.type)
    return out


def _reverse_cumsum(x, dim):
    return x.flip(dim).cumsum(dim).flip(dim)


# ------------------------------------------------------------------ cumsum / cumprod over a full row
@helion.kernel()
def row_cumsum(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty(x.shape, dtype=torch.int64 if not x.dtype.is_floating_point else x.dtype, device=x.device)
    for tm in hl.tile(x.size(0)):
        out[tm, :] = torch.cumsum(x[tm, :], 1)
    return out


@helion.kernel()
def row_scans(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward and reverse sums of each row, and a product (method forms too)."""
    fwd, rev, prod = torch.empty_like(x), torch.empty_like(x), torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        v = x[tm, :]
        fwd[tm, :] = v.cumsum(dim=-1)
        rev[tm, :] = hl.cumsum(v, 1, reverse=True)
        prod[tm, :] = torch.cumprod(v, 1)
    return fwd, rev, prod


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cols", [37, 64, 200])
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[16], num_warps=8)])
def test_row_scans_float32(device, cols, config):
    x = torch.randn(13, cols, device=device) * 0.5 + 1.0  # products of values near 1 stay in range
    fwd, rev, prod = _run(row_scans, (x,), config)
    xd = x.double()
    torch.testing.assert_close(fwd.double(), xd.cumsum(1), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(rev.double(), _reverse_cumsum(xd, 1), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(prod.double(), xd.cumprod(1), atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_scans_accumulate_in_float32(device, dtype):
    """A float32 accumulator rounded once per element, as torch's CPU cumsum:
    rounding every step would drift far from the float64 sums over 300 terms."""
    x = (torch.rand(9, 300, device=device) + 0.5).to(dtype)
    out = _run(row_cumsum, (x,), C(block_sizes=[2]))
    assert out.dtype == dtype
    ref = x.double().cumsum(1)
    torch.testing.assert_close(out.double(), ref.to(dtype).double(), atol=0, rtol=2 ** -7)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int8, torch.bool])
def test_integer_cumsum_is_int64(device, dtype):
    if dtype == torch.bool:
        x = torch.rand(11, 45, device=device) > 0.5
    else:
        x = torch.randint(-100, 100, (11, 45), device=device, dtype=dtype)
    out = _run(row_cumsum, (x,), C(block_sizes=[4]))
    assert out.dtype == torch.int64
    assert torch.equal(out, torch.cumsum(x, 1))


@helion.kernel()
def cumsum_dtypes(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    a = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    b = torch.empty(x.shape, dtype=torch.float64, device=x.device)
    for tm in hl.tile(x.size(0)):
        v = x[tm, :]
        a[tm, :] = torch.cumsum(v, 1, dtype=torch.int32)
        b[tm, :] = v.cumprod(1, dtype=torch.float64)
    return a, b


@pytest.mark.parametrize("device", DEVICES)
def test_cumulative_dtype_argument(device):
    """dtype= casts the input first and is the result's dtype."""
    x = torch.randint(-3, 4, (9, 40), device=device, dtype=torch.int8)
    a, b = _run(cumsum_dtypes, (x,), C(block_sizes=[4]))
    assert torch.equal(a, torch.cumsum(x, 1, dtype=torch.int32))
    assert torch.equal(b, x.cumprod(1, dtype=torch.float64))


@helion.kernel()
def int_cumprod(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty(x.shape, dtype=torch.int64, device=x.device)
    for tm in hl.tile(x.size(0)):
        out[tm, :] = hl.cumprod(x[tm, :], 1, reverse=True)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_integer_reverse_cumprod_masks_lanes_past_the_end(device):
    """Lanes past the row's end (37 of a 64-wide block) come first in a
    reverse scan: they must count as 1, not as the 0 a masked load reads."""
    x = torch.randint(1, 4, (6, 37), device=device, dtype=torch.int32)
    out = _run(int_cumprod, (x,), C(block_sizes=[2]))
    assert torch.equal(out, x.long().flip(1).cumprod(1).flip(1))


# ------------------------------------------------------------------ scans over a tile dim (within each tile)
@helion.kernel()
def tile_scans(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    fwd, rev = torch.empty_like(x), torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        v = x[tm, tn]
        fwd[tm, tn] = hl.cumsum(v, 0)
        rev[tm, tn] = hl.cumsum(v, 0, reverse=True)
    return fwd, rev


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("bm", [8, 16])
def test_scans_over_a_tile_dim_run_within_each_tile(device, bm):
    x = torch.randn(45, 30, device=device)
    fwd, rev = _run(tile_scans, (x,), C(block_sizes=[bm, 16]))
    xd = x.double()
    for lo in range(0, 45, bm):
        block = xd[lo:lo + bm]
        torch.testing.assert_close(fwd[lo:lo + bm].double(), block.cumsum(0), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(rev[lo:lo + bm].double(), _reverse_cumsum(block, 0), atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ hl.associative_scan
def running_max(a, b):
    return torch.maximum(a, b)


@helion.kernel()
def max_scans(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    fwd, rev = torch.empty_like(x), torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        v = x[tm, :]
        fwd[tm, :] = hl.associative_scan(running_max, v, 1)
        rev[tm, :] = hl.associative_scan(running_max, v, dim=1, reverse=True)
    return fwd, rev


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cols", [37, 128])
def test_associative_scan_running_max(device, cols):
    """All values negative: a lane past the end leaking its masked 0 into a
    reverse scan would show (the combine function's identity is unknown)."""
    x = -torch.rand(10, cols, device=device) - 1.0
    fwd, rev = _run(max_scans, (x,), C(block_sizes=[4]))
    assert torch.equal(fwd, x.cummax(1).values)
    assert torch.equal(rev, x.flip(1).cummax(1).values.flip(1))


def _segment_combine(left, right):
    """(value, flag): a segmented sum that restarts where the flag is set."""
    lv, lf = left
    rv, rf = right
    return torch.where(rf != 0, rv, lv + rv), lf | rf


@helion.kernel()
def segment_sums(x: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        v, _ = hl.associative_scan(_segment_combine, (x[tm, :], starts[tm, :]), 1)
        out[tm, :] = v
    return out


@helion.kernel()
def argmax_prefix(x: torch.Tensor) -> torch.Tensor:
    """The running argmax as a scan over (value, index), combine_fn taking the four values unpacked."""
    out = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    for tm, tn in hl.tile(x.size()):
        idx = tn.index[None, :] + hl.zeros([tm, tn], dtype=torch.int32)
        _, best = hl.associative_scan(
            lambda lv, li, rv, ri: (torch.where(rv > lv, rv, lv), torch.where(rv > lv, ri, li)), (x[tm, tn], idx), 1)
        out[tm, tn] = best
    return out


def _segment_reference(x, starts):
    out = torch.empty_like(x, dtype=torch.float64)
    for i in range(x.shape[0]):
        acc = 0.0
        for j in range(x.shape[1]):
            acc = float(x[i, j]) if starts[i, j] else acc + float(x[i, j])
            out[i, j] = acc
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_associative_scan_over_a_tuple_segment_sum(device):
    x = torch.randn(6, 50, device=device)
    starts = (torch.rand(6, 50, device=device) < 0.2).to(torch.int32)
    out = _run(segment_sums, (x, starts), C(block_sizes=[2]))
    torch.testing.assert_close(out.double().cpu(), _segment_reference(x.cpu(), starts.cpu()), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_associative_scan_unpacked_combine_running_argmax(device):
    x = torch.randn(20, 64, device=device)
    out = _run(argmax_prefix, (x,), C(block_sizes=[8, 64]))
    ref = torch.stack([torch.tensor([int(row[:j + 1].argmax()) for j in range(64)]) for row in x.cpu()])
    assert torch.equal(out.cpu().long(), ref)


@helion.kernel()
def reverse_pair_scan(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    sums, maxes = torch.empty_like(x), torch.empty_like(y)
    for tm in hl.tile(x.size(0)):
        s, m = hl.associative_scan(lambda a, b: (a[0] + b[0], torch.maximum(a[1], b[1])), (x[tm, :], y[tm, :]), 1,
                                   reverse=True)
        sums[tm, :], maxes[tm, :] = s, m
    return sums, maxes


@pytest.mark.parametrize("device", DEVICES)
def test_associative_scan_reverse_over_a_tuple(device):
    x = torch.randn(7, 45, device=device)
    y = -torch.rand(7, 45, device=device) - 1.0  # a leaked 0 would show in the maxima
    sums, maxes = _run(reverse_pair_scan, (x, y), C(block_sizes=[2]))
    torch.testing.assert_close(sums.double(), _reverse_cumsum(x.double(), 1), atol=1e-5, rtol=1e-5)
    assert torch.equal(maxes, y.flip(1).cummax(1).values.flip(1))


# ------------------------------------------------------------------ hl.split / hl.join
@helion.kernel()
def swap_pairs(x: torch.Tensor) -> torch.Tensor:
    """(re, im) pairs in the last dim: multiply by i, i.e. (-im, re)."""
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        re, im = hl.split(x[tm, :, :])
        out[tm, :, :] = hl.join(-im, re)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int32])
def test_split_and_join(device, dtype):
    x = torch.randn(19, 24, 2, device=device).mul(10).to(dtype)
    out = _run(swap_pairs, (x,), C(block_sizes=[8]))
    assert torch.equal(out, torch.stack([-x[..., 1], x[..., 0]], -1))


@pytest.mark.parametrize("device", DEVICES)
def test_split_and_join_keep_special_values(device):
    """Signed zeros, infinities and NaN pass through (the sign of a negated NaN aside)."""
    x = torch.tensor([-0.0, 0.0, float("inf"), -float("inf"), float("nan"), -1.5], device=device)
    x = x[torch.randint(0, 6, (16, 8, 2), device=device)]
    out = _run(swap_pairs, (x,), C(block_sizes=[8]))
    ref = torch.stack([-x[..., 1], x[..., 0]], -1)
    torch.testing.assert_close(out, ref, atol=0, rtol=0, equal_nan=True)
    assert torch.equal(torch.signbit(out[~ref.isnan()]), torch.signbit(ref[~ref.isnan()]))


@helion.kernel()
def join_promotes(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty([a.size(0), 2], dtype=torch.float32, device=a.device)
    for t in hl.tile(a.size(0)):
        out[t, :] = hl.join(a[t], b[t])
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_join_promotes_like_torch_stack(device):
    a = torch.randint(-9, 9, (50,), device=device, dtype=torch.int32)
    b = torch.randn(50, device=device)
    out = _run(join_promotes, (a, b), C(block_sizes=[16]))
    assert torch.equal(out, torch.stack([a, b], -1))


# ------------------------------------------------------------------ sm_90 compiles
@pytest.mark.parametrize("kernel,make,config", [
    (row_scans, lambda: (torch.randn(13, 37),), C(block_sizes=[4])),
    (row_cumsum, lambda: (torch.randn(8, 64).half(),), C(block_sizes=[2])),
    (int_cumprod, lambda: (torch.randint(1, 3, (6, 37), dtype=torch.int32),), C(block_sizes=[2])),
    (max_scans, lambda: (torch.randn(10, 37),), C(block_sizes=[4])),
    (segment_sums, lambda: (torch.randn(6, 50), torch.zeros(6, 50, dtype=torch.int32)), C(block_sizes=[2])),
    (argmax_prefix, lambda: (torch.randn(20, 64),), C(block_sizes=[8, 64])),
    (swap_pairs, lambda: (torch.randn(19, 24, 2),), C(block_sizes=[8])),
], ids=["row_scans", "half_cumsum", "int_cumprod", "max_scans", "segment_sums", "argmax_prefix", "split_join"])
def test_compiles_for_sm90(compile_case_sm90, kernel, make, config):
    ttir, compiled, _ = compile_case_sm90(kernel, make(), config)
    assert "tt.scan" in ttir.text or kernel is swap_pairs
    assert compiled.asm.get("ptx")


# ------------------------------------------------------------------ looped reductions and bad calls
def test_scan_over_a_looped_reduction_dim_is_a_clear_error():
    x = torch.randn(10, 37)
    with pytest.raises(exc.InvalidConfig,
                       match=r"reduction_loops\[0\] = 16 is not legal; expected None \(persistent\): a scan \(cumsum"):
        _run(row_cumsum, (x,), C(block_sizes=[4], reduction_loops=[16]))
    out = _run(row_cumsum, (x,), C(block_sizes=[4], reduction_loops=[64]))  # one chunk: the whole row
    torch.testing.assert_close(out.double(), x.double().cumsum(1), atol=1e-5, rtol=1e-5)


@helion.kernel()
def row_sum_kernel(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0)], dtype=x.dtype, device=x.device)
    for tm in hl.tile(x.size(0)):
        out[tm] = x[tm, :].sum(1)
    return out


def test_config_spec_keeps_scanned_rows_persistent():
    """Rows past 16K elements get a reduction loop by default, except where a scan runs along them."""
    spec = row_cumsum.bind((torch.randn(2, 40000),)).config_spec
    assert spec.default_config().reduction_loops == [None]
    assert all(spec.random_config(seed).reduction_loops == [None] for seed in range(20))
    assert [f.choices for name, _, f in spec.fields() if name == "reduction_loops"] == [[None]]
    sums = row_sum_kernel.bind((torch.randn(2, 40000),)).config_spec  # a reduction alone may still loop
    assert sums.default_config().reduction_loops == [8192]


@helion.kernel()
def bad_combine_arity(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        a, b = hl.associative_scan(lambda l, r: l[0] + r[0], (x[t], x[t]), 0)  # one value for two tensors
        out[t] = a
    return out


@helion.kernel()
def bad_combine_fn(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.associative_scan(3, x[t], 0)
    return out


@helion.kernel()
def bad_scan_dim(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = torch.cumsum(x[t], 1)
    return out


@helion.kernel()
def bad_split(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        a, b = hl.split(x[t, :])
        out[t, :] = a
    return out


@helion.kernel()
def bad_reverse(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.cumsum(x[t], 0, reverse="yes")
    return out


@pytest.mark.parametrize("kernel,shape,error,match,marker", [
    (bad_combine_arity, (16,), exc.TypeError_, "combine_fn must return 2 values", "lambda l, r"),
    (bad_combine_fn, (16,), exc.TypeError_, "takes a function as its first argument", "associative_scan(3"),
    (bad_scan_dim, (16,), exc.TypeError_, "dim 1 is out of range for a tensor of rank 1", "torch.cumsum"),
    (bad_split, (16, 4), exc.TypeError_, "last dim has size 2", "hl.split"),
    (bad_reverse, (16,), exc.TypeError_, "reverse must be a bool", "reverse="),
], ids=["combine_arity", "combine_fn", "dim", "split", "reverse"])
def test_bad_calls(kernel, shape, error, match, marker):
    with pytest.raises(error, match=match) as e:
        kernel.bind((torch.randn(*shape),))
    assert e.value.location.endswith(f"test_language_scans.py:{line_of(kernel, marker)}")


# ------------------------------------------------------------------ hl.atomic_cas
@helion.kernel()
def claim_slots(keys: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
    """Each program claims slot owner[keys[i]] if it is still free (-1); one program wins per slot."""
    won = torch.empty(keys.shape, dtype=torch.int32, device=keys.device)
    for i in hl.grid(keys.size(0)):
        old = hl.atomic_cas(owner, [keys[i]], -1, i, sem="acq_rel")
        won[i] = old == -1
    return won


@pytest.mark.parametrize("device", DEVICES)
def test_atomic_cas_claims_each_slot_once(device):
    keys = torch.randint(0, 10, (300,), device=device)
    owner = torch.full((10,), -1, dtype=torch.int64, device=device)
    won = _run(claim_slots, (keys, owner), C())
    for slot in range(10):
        claimants = (keys == slot).nonzero().flatten()
        winners = claimants[won[claimants] == 1]
        if len(claimants):
            assert len(winners) == 1 and int(owner[slot]) == int(winners[0])
        else:
            assert int(owner[slot]) == -1


@helion.kernel()
def locked_sum(x: torch.Tensor, lock: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
    """A spin lock: each program takes the lock (compare-and-swap 0 -> 1), adds, and releases it."""
    for t in hl.tile(x.size(0)):
        s = x[t].sum()
        while hl.atomic_cas(lock, [0], 0, 1, sem="acquire") != 0:
            pass
        hl.atomic_add(total, [0], s)
        hl.atomic_xchg(lock, [0], 0, sem="release")
    return total


@pytest.mark.parametrize("device", DEVICES)
def test_atomic_cas_spin_lock(device):
    x = torch.randn(1000, device=device)
    lock = torch.zeros(1, dtype=torch.int32, device=device)
    total = _run(locked_sum, (x, lock, torch.zeros(1, device=device)), C(block_sizes=[32]))
    torch.testing.assert_close(total.double(), x.double().sum()[None], atol=1e-4, rtol=1e-5)
    assert int(lock[0]) == 0


@helion.kernel()
def cas_tiles(x: torch.Tensor, expected: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    old = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        old[t] = hl.atomic_cas(x, [t], expected[t], value[t])
    return old


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.float32, torch.float64])
@pytest.mark.parametrize("block", [16, 64])
def test_atomic_cas_over_tiles_compares_bit_patterns(device, dtype, block):
    """A power-of-two extent: every tile is full under every Config, so no
    mask is needed. Floats compare as bits: -0.0 does not match 0.0."""
    n = 64
    if dtype.is_floating_point:
        x = torch.randn(n, device=device, dtype=dtype)
        x[:8] = 0.0
        expected = torch.where(torch.rand(n, device=device) < 0.5, x, x + 1)
        expected[:4] = -0.0
    else:
        x = torch.randint(-5, 5, (n,), device=device, dtype=dtype)
        expected = torch.randint(-5, 5, (n,), device=device, dtype=dtype)
    value = (torch.randn(n, device=device) * 100).to(dtype)
    before = x.clone()
    old = _run(cas_tiles, (x, expected, value), C(block_sizes=[block]))
    same = before.view(torch.int32 if dtype.itemsize == 4 else torch.int64) == \
        expected.view(torch.int32 if dtype.itemsize == 4 else torch.int64)
    assert torch.equal(old, before)
    assert torch.equal(x, torch.where(same, value, before))
    if dtype.is_floating_point:
        assert not same[:4].any()


@pytest.mark.parametrize("kernel,make,config", [
    (claim_slots, lambda: (torch.randint(0, 10, (300,)), torch.full((10,), -1)), C()),
    (cas_tiles, lambda: (torch.randn(64), torch.randn(64), torch.randn(64)), C(block_sizes=[16])),
    (locked_sum, lambda: (torch.randn(100), torch.zeros(1, dtype=torch.int32), torch.zeros(1)), C(block_sizes=[32])),
], ids=["claim_slots", "cas_tiles", "spin_lock"])
def test_atomic_cas_compiles_for_sm90(compile_case_sm90, kernel, make, config):
    ttir, compiled, _ = compile_case_sm90(kernel, make(), config)
    assert "tt.atomic_cas" in ttir.text
    assert compiled.asm.get("ptx")


@helion.kernel()
def cas_ragged_tiles(x: torch.Tensor) -> torch.Tensor:
    old = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        old[t] = hl.atomic_cas(x, [t], 0, 1)
    return old


@helion.kernel()
def cas_gather(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    old = torch.empty_like(idx)
    for t in hl.tile(idx.size(0)):
        old[t] = hl.atomic_cas(x, [idx[t]], 0, 1)
    return old


@helion.kernel()
def cas_bad_dtype(x: torch.Tensor) -> torch.Tensor:
    for i in hl.grid(x.size(0)):
        hl.atomic_cas(x, [i], 0, 1)
    return x


@helion.kernel()
def cas_bad_sem(x: torch.Tensor) -> torch.Tensor:
    for i in hl.grid(x.size(0)):
        hl.atomic_cas(x, [i], 0, 1, sem="seq_cst")
    return x


@pytest.mark.parametrize("kernel,args,error,match", [
    (cas_ragged_tiles, (torch.zeros(100, dtype=torch.int32),), exc.NotSupported, "whose end is not a power of two"),
    (cas_gather, (torch.zeros(16, dtype=torch.int32), torch.zeros(50, dtype=torch.int32)), exc.NotSupported,
     "gather index over a tile"),
    (cas_bad_dtype, (torch.zeros(16, dtype=torch.int16),), exc.TypeError_, "int32/int64/float32/float64"),
    (cas_bad_sem, (torch.zeros(16, dtype=torch.int32),), exc.TypeError_, "sem='seq_cst' is not one of"),
], ids=["ragged_tiles", "gather", "dtype", "sem"])
def test_atomic_cas_bad_calls(kernel, args, error, match):
    with pytest.raises(error, match=match) as e:
        kernel.bind(args)
    assert e.value.location.endswith(f"test_language_scans.py:{line_of(kernel, 'hl.atomic_cas')}")
