"""Explicit memory ops: hl.load / hl.store with extra_mask and eviction_policy,
the hl.atomic_* ops (races of many programs on the same elements), and
slices with runtime bounds (`x[t, :n]`, `x[t, a:b]` of any length, and
bounds loaded by the kernel). Numerics against torch on the CPU executor and
(marker gpu) on CUDA, sm_90 compiles through Triton, and the errors of bad
calls at the user's line. The examples built on them (split-K matmul,
histogram, cross entropy) run in test_examples.py through the registry."""

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


# ------------------------------------------------------------------ hl.load / hl.store
@helion.kernel()
def masked_copy(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    out = torch.full_like(x, -7.0)
    for tm, tn in hl.tile(x.size()):
        v = hl.load(x, [tm, tn], extra_mask=keep[tm, tn] != 0)  # masked-off elements read 0
        hl.store(out, [tm, tn], v + 1, extra_mask=v != 0)  # and are not written
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16, 16]), C(block_sizes=[8, 64], loop_orders=[[1, 0]]),
                                    C(block_sizes=[64, 4], l2_groupings=[2])])
def test_masked_load_and_store(device, config):
    x = torch.randn(37, 51, device=device)
    # int8, not bool: Triton's backend aborts on loads through i1 pointers (a conversion bug).
    keep = (torch.rand(37, 51, device=device) > 0.4).to(torch.int8)
    masked_copy.bind((x, keep)).set_config(config)
    out = masked_copy(x, keep)
    sync(device)
    torch.testing.assert_close(out, torch.where(keep != 0, x + 1, -7.0), atol=0, rtol=0)


@helion.kernel()
def tile_by_one_name(x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x)
    for tile in hl.tile(x.size()):  # the tiles of both dims under one name, as a list or in one
        hl.store(out, tile, hl.load(x, [tile]) * 3)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_index_of_a_multi_dim_tile_under_one_name(device):
    x = torch.randn(40, 50, device=device)
    tile_by_one_name.bind((x,)).set_config(C(block_sizes=[16, 32]))
    out = tile_by_one_name(x)
    sync(device)
    torch.testing.assert_close(out, x * 3, atol=0, rtol=0)


@helion.kernel()
def lower_triangle(x: torch.Tensor) -> torch.Tensor:
    """A mask computed in the kernel, [tm, 1] against [1, tn], broadcast to the tile."""
    out = torch.zeros_like(x)
    for tm, tn in hl.tile(x.size()):
        below = tm.index[:, None] >= tn.index[None, :]
        hl.store(out, [tm, tn], hl.load(x, [tm, tn], extra_mask=below) * 2, extra_mask=below)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_mask_computed_in_the_kernel_broadcasts(device):
    x = torch.randn(45, 30, device=device, dtype=torch.bfloat16)
    lower_triangle.bind((x,)).set_config(C(block_sizes=[16, 8]))
    out = lower_triangle(x)
    sync(device)
    torch.testing.assert_close(out.double(), torch.tril(x.double()) * 2, atol=0, rtol=0)


@helion.kernel()
def gather_rows(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """hl.load with an integer tensor, an int and slice(None) entries; a whole
    row per program; rows < 0 are skipped by the mask."""
    out = torch.zeros([rows.size(0), x.size(1)], dtype=x.dtype, device=x.device)
    for t in hl.tile(rows.size(0)):
        r = rows[t]
        ok = r >= 0
        v = hl.load(x, [r, slice(None)], extra_mask=ok[:, None]) + hl.load(x, [0, slice(None)])[None, :]
        hl.store(out, [t, slice(None)], v)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[16], reduction_loops=[32])])
def test_load_with_gathers_ints_and_slices(device, config):
    x = torch.randn(50, 70, device=device)
    rows = torch.randint(-10, 50, (33,), device=device)
    gather_rows.bind((x, rows)).set_config(config)
    out = gather_rows(x, rows)
    sync(device)
    ref = torch.where((rows >= 0)[:, None], x[rows.clamp(min=0)], 0.0) + x[0][None, :]
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-6)


@helion.kernel()
def scatter_rows(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """A masked scatter: row t of x goes to row rows[t] of out unless rows[t] < 0;
    the mask is given in the shape of the indexed value with its None dim."""
    out = torch.full([x.size(0), x.size(1)], -7.0, dtype=x.dtype, device=x.device)
    for t in hl.tile(rows.size(0)):
        r = rows[t]
        col = hl.load(x, [t, None, slice(None)], extra_mask=(r >= 0)[:, None, None])
        hl.store(out, [r, slice(None)], col[:, 0, :], extra_mask=(r >= 0)[:, None])
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[32], reduction_loops=[16])])
def test_masked_scatter(device, config):
    x = torch.randn(40, 30, device=device)
    rows = torch.randperm(40, device=device)
    rows[torch.rand(40, device=device) < 0.3] = -1
    scatter_rows.bind((x, rows)).set_config(config)
    out = scatter_rows(x, rows)
    sync(device)
    ref = torch.full_like(x, -7.0)
    ref[rows[rows >= 0]] = x[rows >= 0]
    torch.testing.assert_close(out, ref, atol=0, rtol=0)


@helion.kernel()
def scalar_ops(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """One element per program, read at an index the kernel loaded; a scalar mask."""
    out = torch.zeros_like(idx, dtype=x.dtype)
    for g in hl.grid(idx.size(0)):
        i = idx[g]
        hl.store(out, [g], hl.load(x, [i], extra_mask=i % 2 == 0, eviction_policy="evict_last"))
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_scalar_load_at_a_loaded_index(device):
    x = torch.randn(100, device=device)
    idx = torch.randint(0, 100, (23,), device=device)
    scalar_ops.bind((x, idx)).set_config(C(num_warps=1))
    out = scalar_ops(x, idx)
    sync(device)
    torch.testing.assert_close(out, torch.where(idx % 2 == 0, x[idx], 0.0), atol=0, rtol=0)


@helion.kernel()
def evict(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [t], eviction_policy="evict_first") + hl.load(x, [t], eviction_policy="evict_last") + hl.load(x, [t])
    return out


def test_eviction_policy_reaches_the_ttir(filecheck, compile_case_sm90):
    """The tile.load carries `eviction_policy`, the tt.load its `evict`
    (normal 1, evict_first 2, evict_last 3)."""
    x = torch.randn(100)
    filecheck(evict.bind((x,)).tile_ir, """
CHECK: tile.load {{.*}} {eviction_policy = "evict_first"}
CHECK: tile.load {{.*}} {eviction_policy = "evict_last"}
CHECK-NOT: eviction_policy
CHECK: tile.store
""")
    ttir, ck, _ = compile_case_sm90(evict, (x,), C(block_sizes=[32]))
    assert [ttir.text.count(f"evict = {e} : i32") for e in (1, 2, 3)] == [2, 1, 1]  # normal: the plain load, the store
    assert len(ck.asm["cubin"]) > 1000
    torch.testing.assert_close(evict(x), 3 * x)


def test_masked_load_and_store_compile_for_sm90(compile_case_sm90):
    x = torch.randn(37, 51)
    ttir, ck, _ = compile_case_sm90(masked_copy, (x, (x > 0).to(torch.int8)), C(block_sizes=[16, 16]))
    assert len(ck.asm["cubin"]) > 1000
    ttir, ck, _ = compile_case_sm90(gather_rows, (x, torch.randint(0, 37, (9,))), C(block_sizes=[4]))
    assert len(ck.asm["cubin"]) > 1000
    ttir, ck, _ = compile_case_sm90(scatter_rows, (x, torch.randperm(37)), C(block_sizes=[8], reduction_loops=[16]))
    assert len(ck.asm["cubin"]) > 1000


# ------------------------------------------------------------------ atomics
@helion.kernel()
def bincount(x: torch.Tensor, n: int) -> torch.Tensor:
    counts = torch.zeros([n], dtype=torch.int32, device=x.device)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(counts, [x[t]], 1)
    return counts


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("block", [1, 32, 1024])
def test_many_programs_add_into_the_same_bins(device, block):
    # 5 bins: every program hits each of them; on the GPU 4M adds at once.
    x = torch.randint(0, 5, (3000 if device == "cpu" else 1 << 22,), device=device)
    bincount.bind((x, 5)).set_config(C(block_sizes=[block]))
    out = bincount(x, 5)
    sync(device)
    assert torch.equal(out.long(), torch.bincount(x, minlength=5))


@helion.kernel()
def column_sums(x: torch.Tensor) -> torch.Tensor:
    """A split reduction: each program adds its rows' sums into out (of x's dtype)."""
    out = torch.zeros([x.size(1)], dtype=x.dtype, device=x.device)
    for tm, tn in hl.tile(x.size()):
        hl.atomic_add(out, [tn], x[tm, tn].sum(0), sem="relaxed")
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.float64])
def test_split_reduction_is_exact_on_small_integers(device, dtype):
    """Small integers (every partial sum exact even in bfloat16): every order
    of the racing additions gives exactly torch's sum."""
    x = torch.randint(-2, 3, (64, 70), device=device).to(dtype)
    column_sums.bind((x,)).set_config(C(block_sizes=[16, 32]))
    out = column_sums(x)
    sync(device)
    assert torch.equal(out, x.sum(0))


@helion.kernel()
def column_sums_whole_rows(x: torch.Tensor) -> torch.Tensor:
    """The atomic indexed with `:`: a sink of the row's reduction slot."""
    out = torch.zeros([x.size(1)], dtype=torch.float32, device=x.device)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(out, [slice(None)], x[t, :].sum(0))
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[4], reduction_loops=[64])])
def test_atomic_over_a_full_slice(device, config):
    """Persistent, or looped by reduction_loops: each chunk adds its columns."""
    x = torch.randint(-3, 4, (50, 300), device=device).float()
    column_sums_whole_rows.bind((x,)).set_config(config)
    out = column_sums_whole_rows(x)
    sync(device)
    assert torch.equal(out, x.sum(0))
    if device == "cpu" and config.get("reduction_loops"):
        ttir = column_sums_whole_rows.bind((x,)).to_triton_code(config)
        assert "scf.for" in ttir and '"tt.atomic_rmw"' in ttir


@helion.kernel()
def all_atomics(a: torch.Tensor, b: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Each kind on its own int tensor at distinct elements per program, and
    the old values it returns."""
    old = torch.zeros([7, idx.size(0)], dtype=a.dtype, device=a.device)
    for t in hl.tile(idx.size(0)):
        i = idx[t]
        v = b[t]
        old[0, t] = hl.atomic_add(a, [0, i], v)
        old[1, t] = hl.atomic_and(a, [1, i], v)
        old[2, t] = hl.atomic_or(a, [2, i], v, sem="acquire")
        old[3, t] = hl.atomic_xor(a, [3, i], v, sem="release")
        old[4, t] = hl.atomic_xchg(a, [4, i], v, sem="acq_rel")
        old[5, t] = hl.atomic_max(a, [5, i], v)
        old[6, t] = hl.atomic_min(a, [6, i], v)
    return old


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_every_atomic_kind_and_its_old_values(device, dtype):
    n = 200
    a = torch.randint(-1000, 1000, (7, n), device=device, dtype=dtype)
    b = torch.randint(-1000, 1000, (n,), device=device, dtype=dtype)
    idx = torch.randperm(n, device=device)
    start = a.clone()
    all_atomics.bind((a, b, idx)).set_config(C(block_sizes=[32]))
    old = all_atomics(a, b, idx)
    sync(device)
    assert torch.equal(old, start[:, idx])
    s = start[:, idx]
    for row, want in enumerate((s[0] + b, s[1] & b, s[2] | b, s[3] ^ b, b, torch.maximum(s[5], b), torch.minimum(s[6], b))):
        assert torch.equal(a[row, idx], want), row


@helion.kernel()
def racing_max(x: torch.Tensor, bins: torch.Tensor, n: int) -> torch.Tensor:
    best = torch.full([n], -(2 ** 31), dtype=torch.int32, device=x.device)
    for t in hl.tile(x.size(0)):
        hl.atomic_max(best, [bins[t]], x[t])
    return best


@pytest.mark.parametrize("device", DEVICES)
def test_racing_max(device):
    x = torch.randint(-10 ** 6, 10 ** 6, (5000,), device=device, dtype=torch.int32)
    bins = torch.randint(0, 7, (5000,), device=device)
    racing_max.bind((x, bins, 7)).set_config(C(block_sizes=[64]))
    out = racing_max(x, bins, 7)
    sync(device)
    ref = torch.full([7], -(2 ** 31), dtype=torch.int32, device=device).scatter_reduce(0, bins, x, "amax")
    assert torch.equal(out, ref)


@helion.kernel()
def float_extremes(x: torch.Tensor, bins: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-bin max and min of floats of both signs by racing atomics (what
    amax scaling for fp8 does); runs as integer atomics on the bits."""
    hi = torch.full([n], float("-inf"), dtype=x.dtype, device=x.device)
    lo = torch.full([n], float("inf"), dtype=x.dtype, device=x.device)
    for t in hl.tile(x.size(0)):
        hl.atomic_max(hi, [bins[t]], x[t])
        hl.atomic_min(lo, [bins[t]], x[t])
    return hi, lo


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_atomic_max_min(device, dtype):
    x = torch.randn(3000, device=device, dtype=dtype) * 100
    x[:5] = torch.tensor([0.0, -0.0, 1e-30, -1e-30, float("inf")], dtype=dtype)
    bins = torch.randint(0, 9, (3000,), device=device)
    bins[8] = 8
    float_extremes.bind((x, bins, 10)).set_config(C(block_sizes=[64]))
    hi, lo = float_extremes(x, bins, 10)
    sync(device)
    for out, reduce, init in ((hi, "amax", float("-inf")), (lo, "amin", float("inf"))):
        ref = torch.full([10], init, dtype=dtype, device=device).scatter_reduce(0, bins, x, reduce)
        assert torch.equal(out, ref), reduce  # bin 9 is empty: keeps its initial value


@helion.kernel()
def float_max_old(a: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    old = torch.empty_like(v)
    for t in hl.tile(v.size(0)):
        old[t] = hl.atomic_max(a, [t], v[t])
    return old


@pytest.mark.parametrize("device", DEVICES)
def test_float_atomic_max_returns_old_values(device):
    a = torch.randn(100, device=device)
    v = torch.randn(100, device=device)
    start = a.clone()
    float_max_old.bind((a, v)).set_config(C(block_sizes=[32]))
    old = float_max_old(a, v)
    sync(device)
    assert torch.equal(old, start) and torch.equal(a, torch.maximum(start, v))


@helion.kernel()
def tickets(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One-element atomics: each program takes a ticket from a shared counter
    and swaps its value into a shared float slot."""
    counter = torch.zeros([1], dtype=torch.int64, device=x.device)
    slot = torch.full([1], -1.0, dtype=torch.float32, device=x.device)
    order = torch.empty([x.size(0)], dtype=torch.int64, device=x.device)
    seen = torch.empty([x.size(0)], dtype=torch.float32, device=x.device)
    for g in hl.grid(x.size(0)):
        order[g] = hl.atomic_add(counter, [0], 1, sem="acq_rel")
        seen[g] = hl.atomic_xchg(slot, [0], x[g])
    return order, seen, slot


@pytest.mark.parametrize("device", DEVICES)
def test_scalar_atomics_hand_out_tickets(device):
    n = 500
    x = torch.randperm(n, device=device).float()
    tickets.bind((x,)).set_config(C(num_warps=1))
    order, seen, slot = tickets(x)
    sync(device)
    assert torch.equal(order.sort().values, torch.arange(n, device=device))  # each ticket once
    # The exchanges form one chain: every value but the last one swapped in is seen once, and -1.
    assert torch.equal(torch.cat([seen, slot]).sort().values, torch.cat([x, x.new_tensor([-1.0])]).sort().values)


def test_sem_is_recorded_on_the_atomic(filecheck):
    a = torch.zeros(7, 16, dtype=torch.int32)
    filecheck(all_atomics.bind((a, torch.ones(16, dtype=torch.int32), torch.arange(16))).tile_ir, """
CHECK: tile.atomic_rmw "add" {{.*}} {sem = "relaxed"}
CHECK: tile.atomic_rmw "and" {{.*}} {sem = "relaxed"}
CHECK: tile.atomic_rmw "or" {{.*}} {sem = "acquire"}
CHECK: tile.atomic_rmw "xor" {{.*}} {sem = "release"}
CHECK: tile.atomic_rmw "xchg" {{.*}} {sem = "acq_rel"}
CHECK: tile.atomic_rmw "max"
CHECK: tile.atomic_rmw "min"
""")


def test_atomics_compile_for_sm90(compile_case_sm90):
    n = 64
    for dtype in (torch.int32, torch.int64):
        a = torch.zeros(7, n, dtype=dtype)
        ttir, ck, _ = compile_case_sm90(all_atomics, (a, a[0], torch.arange(n)), C(block_sizes=[32]))
        assert ttir.text.count('"tt.atomic_rmw"') == 7 and len(ck.asm["cubin"]) > 1000
        # sem: relaxed 1 (the default, four times), acquire 2, release 3, acq_rel 4
        assert [ttir.text.count(f"sem = {v} : i32") for v in (1, 2, 3, 4)] == [4, 1, 1, 1]
    for dtype in (torch.float32, torch.bfloat16, torch.float16, torch.float64):
        ttir, ck, _ = compile_case_sm90(column_sums, (torch.randn(40, 30, dtype=dtype),), C(block_sizes=[16, 16]))
        assert "atomic_rmw_op = 5" in ttir.text and len(ck.asm["cubin"]) > 1000  # FADD
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(300, dtype=dtype)
        ttir, ck, _ = compile_case_sm90(float_extremes, (x, torch.randint(0, 9, (300,)), 10), C(block_sizes=[64]))
        # max: signed max and unsigned min (6, 9); min: signed min and unsigned max (7, 8)
        assert [ttir.text.count(f"atomic_rmw_op = {k} : i32") for k in (6, 7, 8, 9)] == [1, 1, 1, 1]
        assert len(ck.asm["cubin"]) > 1000
    ttir, ck, _ = compile_case_sm90(tickets, (torch.randn(50),), C(num_warps=1))  # one-element atomics
    assert ttir.text.count('"tt.atomic_rmw"') == 2 and len(ck.asm["cubin"]) > 1000


# tt.atomic_cas as hl.atomic_cas lowers to it (hl.atomic_cas is tested in
# test_language_scans.py): 128 lanes per program claim owner[slot[i]] = i
# where it still holds -1 and record the old values; one program then swaps
# bit patterns of f32 values.
CAS_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<i32>, !tt.ptr<i32>, !tt.ptr<i32>, !tt.ptr<f32>, !tt.ptr<f32>) -> (), sym_name = "cas"}> ({
^bb0(%slot: !tt.ptr<i32>, %owner: !tt.ptr<i32>, %olds: !tt.ptr<i32>, %fmem: !tt.ptr<f32>, %fcmp: !tt.ptr<f32>):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %c128 = "arith.constant"() <{value = 128 : i32}> : () -> i32
  %start = "arith.muli"(%pid, %c128) : (i32, i32) -> i32
  %r = "tt.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
  %ss = "tt.splat"(%start) : (i32) -> tensor<128xi32>
  %offs = "arith.addi"(%ss, %r) : (tensor<128xi32>, tensor<128xi32>) -> tensor<128xi32>
  %sp = "tt.splat"(%slot) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %sa = "tt.addptr"(%sp, %offs) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  %s = "tt.load"(%sa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<128x!tt.ptr<i32>>) -> tensor<128xi32>
  %op = "tt.splat"(%owner) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %oa = "tt.addptr"(%op, %s) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  %free = "arith.constant"() <{value = dense<-1> : tensor<128xi32>}> : () -> tensor<128xi32>
  %old = "tt.atomic_cas"(%oa, %free, %offs) <{scope = 1 : i32, sem = 4 : i32}> : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>, tensor<128xi32>) -> tensor<128xi32>
  %lp = "tt.splat"(%olds) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %la = "tt.addptr"(%lp, %offs) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  "tt.store"(%la, %old) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> ()
  %c0 = "arith.constant"() <{value = 0 : i32}> : () -> i32
  %first = "arith.cmpi"(%pid, %c0) <{predicate = 0 : i64}> : (i32, i32) -> i1
  "scf.if"(%first) ({
    %f = "tt.make_range"() <{end = 4 : i32, start = 0 : i32}> : () -> tensor<4xi32>
    %fp = "tt.splat"(%fmem) : (!tt.ptr<f32>) -> tensor<4x!tt.ptr<f32>>
    %fa = "tt.addptr"(%fp, %f) : (tensor<4x!tt.ptr<f32>>, tensor<4xi32>) -> tensor<4x!tt.ptr<f32>>
    %cp = "tt.splat"(%fcmp) : (!tt.ptr<f32>) -> tensor<4x!tt.ptr<f32>>
    %ca = "tt.addptr"(%cp, %f) : (tensor<4x!tt.ptr<f32>>, tensor<4xi32>) -> tensor<4x!tt.ptr<f32>>
    %c = "tt.load"(%ca) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x!tt.ptr<f32>>) -> tensor<4xf32>
    %five = "arith.constant"() <{value = dense<5.000000e+00> : tensor<4xf32>}> : () -> tensor<4xf32>
    %fo = "tt.atomic_cas"(%fa, %c, %five) <{scope = 1 : i32, sem = 1 : i32}> : (tensor<4x!tt.ptr<f32>>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    "scf.yield"() : () -> ()
  }, {
  }) : (i1) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""


def test_cpu_executor_runs_atomic_cas_in_lane_order(tmp_path, monkeypatch):
    """Lanes and programs in order: the first lane that finds a slot free owns
    it and every later one sees its id. The f32 lanes compare bit patterns.
    The TTIR also compiles for sm_90."""
    import triton
    from triton.backends.compiler import GPUTarget

    from helion.runtime.cpu_executor import run_ttir

    n, slots = 1024, 37
    slot = torch.randint(0, slots, (n,), dtype=torch.int32)
    owner = torch.full((slots + 3,), -1, dtype=torch.int32)
    owner[slots:] = 7  # never matched
    olds = torch.zeros(n, dtype=torch.int32)
    fmem = torch.tensor([0.0, -0.0, float("nan"), 1.0])
    fcmp = torch.tensor([0.0, 0.0, float("nan"), 2.0])
    run_ttir(CAS_TTIR, (n // 128, 1, 1), [slot, owner, olds, fmem, fcmp])
    first = {}
    for i, s in enumerate(slot.tolist()):
        assert olds[i] == first.get(s, -1)
        first.setdefault(s, i)
    assert owner.tolist() == [first.get(s, -1) for s in range(slots)] + [7, 7, 7]
    assert fmem.view(torch.int32).tolist() == torch.tensor([5.0, -0.0, 5.0, 1.0]).view(torch.int32).tolist()
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))
    path = tmp_path / "cas.ttir"
    path.write_text(CAS_TTIR)
    ck = triton.compile(str(path), target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
    assert "atom.global" in ck.asm["ptx"] and "cas" in ck.asm["ptx"]


# ------------------------------------------------------------------ slices with runtime bounds
@helion.kernel()
def head(x: torch.Tensor, n1: int) -> tuple[torch.Tensor, torch.Tensor]:
    m = x.size(0)
    out = torch.zeros([m, x.size(1)], dtype=x.dtype, device=x.device)
    top = torch.empty([m], dtype=x.dtype, device=x.device)
    for t in hl.tile(m):
        v = x[t, :n1]
        top[t] = v.amax(-1)  # the lanes past n1 must not win
        out[t, :n1] = v * 2
    return out, top


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[8], reduction_loops=[16]), C(block_sizes=[1], num_warps=2)])
def test_slice_to_a_host_int(device, config):
    x = -torch.rand(20, 100, device=device) - 1.0  # all negative: a padded 0 would win the max
    head.bind((x, 37)).set_config(config)
    out, top = head(x, 37)
    sync(device)
    ref = torch.zeros_like(x)
    ref[:, :37] = 2 * x[:, :37]
    torch.testing.assert_close(out, ref, atol=0, rtol=0)
    torch.testing.assert_close(top, x[:, :37].amax(-1), atol=0, rtol=0)


@helion.kernel()
def window_sums(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
    out = torch.empty([x.size(0), 3], dtype=torch.float32, device=x.device)
    for t in hl.tile(x.size(0)):
        out[t, 0] = x[t, a:b].float().sum(-1)
        out[t, 1] = x[t, -5:].float().sum(-1)  # negative bounds count from the end
        out[t, 2] = x[t, a:b + 1000].float().sum(-1)  # past the end clips, as in torch
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[4], reduction_loops=[16, 4, 32])])
def test_slice_between_kernel_arguments(device, config):
    x = torch.randn(30, 90, device=device)
    window_sums.bind((x, 10, 53)).set_config(config)
    out = window_sums(x, 10, 53)
    sync(device)
    ref = torch.stack([x[:, 10:53].sum(-1), x[:, -5:].sum(-1), x[:, 10:].sum(-1)], dim=1)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


@helion.kernel()
def jagged_mean(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Rows of different lengths, packed: slice bounds the kernel loads."""
    n = offsets.size(0) - 1
    out = torch.empty([n, values.size(1)], dtype=torch.float32, device=values.device)
    for g, tc in hl.tile([n, values.size(1)], block_size=[1, None]):
        start = offsets[g.begin]
        end = offsets[g.begin + 1]
        total = values[start:end, tc].float().sum(0)
        out[g, tc] = (total / torch.clamp(end - start, min=1).float())[None, :]
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[8], reduction_loops=[32]), C(block_sizes=[32], reduction_loops=[8])])
def test_slice_between_loaded_bounds(device, config):
    lengths = torch.randint(0, 40, (11,), device=device)
    lengths[3] = 0  # an empty row
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64, device=device), lengths.cumsum(0)])
    values = torch.randn(int(offsets[-1]), 24, device=device)
    jagged_mean.bind((values, offsets)).set_config(config)
    out = jagged_mean(values, offsets)
    sync(device)
    ref = torch.stack([values[offsets[i]:offsets[i + 1]].double().sum(0) / max(int(lengths[i]), 1) for i in range(11)])
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)


@helion.kernel()
def jagged_scale(values: torch.Tensor, offsets: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """Loads and a store over the same loaded bounds line up (one dim)."""
    n = offsets.size(0) - 1
    out = torch.zeros_like(values)
    for g, tc in hl.tile([n, values.size(1)], block_size=[1, None]):
        start = offsets[g.begin]
        end = offsets[g.begin + 1]
        out[start:end, tc] = values[start:end, tc] * scales[start:end, None] + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[8], reduction_loops=[16])])
def test_store_between_loaded_bounds(device, config):
    lengths = torch.randint(0, 30, (9,), device=device)
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64, device=device), lengths.cumsum(0)])
    values = torch.randn(int(offsets[-1]), 40, device=device)
    scales = torch.randn(values.size(0), device=device)
    jagged_scale.bind((values, offsets, scales)).set_config(config)
    out = jagged_scale(values, offsets, scales)
    sync(device)
    torch.testing.assert_close(out, values * scales[:, None] + 1, atol=1e-6, rtol=1e-6)


def test_runtime_slices_compile_for_sm90(compile_case_sm90):
    x = torch.randn(20, 100)
    for kernel, args, config in ((head, (x, 37), C(block_sizes=[4], reduction_loops=[16])),
                                 (window_sums, (x, 10, 53), C(block_sizes=[8])),
                                 (jagged_mean, (torch.randn(90, 24), torch.tensor([0, 5, 5, 60, 90])), C(block_sizes=[16])),
                                 (jagged_scale, (torch.randn(90, 24), torch.tensor([0, 5, 5, 60, 90]), torch.randn(90)),
                                  C(block_sizes=[8], reduction_loops=[16]))):
        _, ck, _ = compile_case_sm90(kernel, args, config)
        assert len(ck.asm["cubin"]) > 1000


# ------------------------------------------------------------------ bad calls
def _k_bad_policy(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [t], eviction_policy="evict_normal")  # BAD
    return out


def _k_bad_sem(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(out, [t], x[t], sem="seq_cst")  # BAD
    return out


def _k_float_mask(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [t], extra_mask=x[t])  # BAD
    return out


def _k_mask_too_wide(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [t], extra_mask=(x[t] > 0)[:, None])  # BAD
    return out


def _k_tensor_mask_on_one_element(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [0], extra_mask=x[t] > 0)  # BAD
    return out


def _k_index_not_a_list(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, t)  # BAD
    return out


def _k_load_of_device_value(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x[t] * 2, [t])  # BAD
    return out


def _k_missing_value(x):
    for t in hl.tile(x.size(0)):
        hl.store(x, [t])  # BAD
    return x


def _k_half_max(x):
    out = torch.zeros_like(x, dtype=torch.float16)
    for t in hl.tile(x.size(0)):
        hl.atomic_max(out, [t], x[t].half())  # BAD
    return out


def _k_int8_add(x):
    out = torch.zeros_like(x, dtype=torch.int8)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(out, [t], 1)  # BAD
    return out


def _k_cas_on_a_slice(x):
    out = torch.zeros([64, 64], dtype=torch.int32, device=x.device)
    for g in hl.grid(64):
        hl.atomic_cas(out, [g, slice(3, 64)], 0, 1)  # BAD
    return out


def _k_read_atomic_target(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(out, [t], x[t])
        x[t] = out[t]  # BAD
    return out


def _k_atomic_into_empty(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        hl.atomic_add(out, [t], x[t])  # BAD
    return out


def _k_empty_slice(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        out[t, 5:5] = 1.0  # BAD
    return out


def _k_float_slice_bound(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        out[t, :x[0, 0]] = 1.0  # BAD
    return out


BAD = [
    (_k_bad_policy, exc.TypeError_, r"eviction_policy='evict_normal' is not one of None, 'evict_first', 'evict_last'"),
    (_k_bad_sem, exc.TypeError_, r"sem='seq_cst' is not one of 'relaxed', 'acquire', 'release', 'acq_rel'"),
    (_k_float_mask, exc.TypeError_, r"extra_mask must be a bool device tensor, got a torch.float32 tensor"),
    (_k_mask_too_wide, exc.TypeError_, r"extra_mask of shape \[block0, 1\] does not broadcast to the indexed shape \[block0\]"),
    (_k_tensor_mask_on_one_element, exc.TypeError_, r"extra_mask of a one-element access must be a bool scalar, got a "
                                                    r"torch.bool tensor"),
    (_k_index_not_a_list, exc.TypeError_, r"hl.load\(\) takes its index as a list"),
    (_k_load_of_device_value, exc.TypeError_, r"hl.load\(\) reads a kernel tensor argument, got a torch.float32 tensor"),
    (_k_missing_value, exc.TypeError_, r"hl.store\(tensor, index, value, extra_mask=None\): missing a required argument: 'value'"),
    (_k_half_max, exc.TypeError_, r"hl.atomic_max\(\) on 'out' of dtype torch.float16: .*float32/float64 for xchg, max and min"),
    (_k_int8_add, exc.TypeError_, r"hl.atomic_add\(\) on 'out' of dtype torch.int8: atomics take int32/int64"),
    # 61 lanes from 3: the block runs past the end, and compare-and-swap takes no mask
    (_k_cas_on_a_slice, exc.NotSupported, r"hl.atomic_cas\(\) indexed with a tile .*not a power of two"),
    (_k_read_atomic_target, exc.NotSupported, r"reads 'out', which atomics of this kernel update"),
    (_k_atomic_into_empty, exc.NotSupported, r"reads 'out' before the kernel writes it"),
    (_k_empty_slice, exc.TypeError_, r"slice `5:5` of a dim of size 16 is empty"),
    (_k_float_slice_bound, exc.TypeError_, r"slice bounds must be integers, got a torch.float32 scalar"),
]


@pytest.mark.parametrize("fn,err,match", [pytest.param(*case, id=case[0].__name__[3:]) for case in BAD])
def test_bad_call_names_the_problem_and_the_line(fn, err, match):
    x = torch.randn(16, 16) if fn in (_k_empty_slice, _k_float_slice_bound) else torch.randn(64)
    kernel = helion.kernel(fn, config=C(block_sizes=[16]))
    with pytest.raises(err, match=match) as info:
        kernel(x)
    assert info.value.location.endswith(f":{line_of(fn, '# BAD')}"), info.value.location
