"""Data-dependent control flow in device code: `if`/`elif`/`else` on device
scalars (scf.if with results for the names the branches assign, stores in
branches) and `while` on device scalars (scf.while with carried scalars and
tensors). Numerics against torch float64 on the CPU executor and (marker
gpu) on CUDA, sm_90 compiles through Triton, and the errors of what stays
refused at the user's line. Host conditions keep being resolved while
tracing. The examples (skip_rows_softmax, searchsorted, collatz_steps) run in
test_examples.py through the registry."""
import linecache

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, line_of

C = helion.Config
HERE = __file__


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _kernel(src: str, filename: str, config):
    """A kernel defined in source text (registered with linecache, where
    tracing reads kernel sources)."""
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"torch": torch, "hl": hl}
    exec(compile(src, filename, "exec"), ns)
    return helion.kernel(config=config)(ns["bad"])


def _run(kernel, args, config, device):
    kernel.bind(args).set_config(config)
    out = kernel(*args)
    if device == "cuda":
        torch.cuda.synchronize()
    return out


# ------------------------------------------------------------------ if / elif / else
@helion.kernel()
def sign_scale_rows(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """A full row merged out of three branches (scf.if results of the row's shape)."""
    m, n = x.size()
    out = torch.empty_like(x)
    for i in hl.grid(m):
        row = x[i, :]
        sv = s[i]
        if sv > 0:
            row = row * sv
        elif sv < 0:
            row = -row
        else:
            row = torch.zeros_like(row)
        out[i, :] = row
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(), C(num_warps=2)])
def test_if_elif_else_merges_a_row(device, config):
    x = torch.randn(13, 100, device=device)
    s = torch.randn(13, device=device) * (torch.rand(13, device=device) > 0.3)
    out = _run(sign_scale_rows, (x, s), config, device)
    xd, sd = x.double(), s.double()[:, None]
    ref = torch.where(sd > 0, xd * sd, torch.where(sd < 0, -xd, 0.0))
    torch.testing.assert_close(out.double(), ref, atol=1e-6, rtol=1e-6)
    assert (s == 0).any() and (s > 0).any() and (s < 0).any()


def test_if_results_in_tile_ir(filecheck):
    x, s = torch.randn(4, 32), torch.randn(4)
    filecheck(sign_scale_rows.bind((x, s)).tile_ir, """
    CHECK: tile.grid
    CHECK: %[[ROW:.*]] = tile.load
    CHECK: %[[S:.*]] = tile.load {{.*}} -> f32
    CHECK: %[[C:.*]] = arith.cmpf ogt, %[[S]]
    CHECK: scf.if %[[C]] -> (tensor<?xf32, #tile.dims<[0]>>)
    CHECK: scf.yield
    CHECK: } else {
    CHECK: scf.if {{.*}} -> (tensor<?xf32, #tile.dims<[0]>>)
    CHECK: tile.store
    """)


@helion.kernel()
def keep_positive_blocks(x: torch.Tensor) -> torch.Tensor:
    """A condition reduced from the program's tile; a store only in the `if`."""
    m, n = x.size()
    out = torch.zeros_like(x)
    for tm, tn in hl.tile([m, n]):
        v = x[tm, tn]
        if v.sum() > 0:
            out[tm, tn] = v
    return out


def _blocks_ref(x, bm, bn):
    ref = torch.zeros_like(x, dtype=torch.float64)
    for i in range(0, x.shape[0], bm):
        for j in range(0, x.shape[1], bn):
            block = x[i:i + bm, j:j + bn].double()
            if block.sum() > 0:
                ref[i:i + bm, j:j + bn] = block
    return ref


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16, 8]), C(block_sizes=[8, 32], loop_orders=[[1, 0]]),
                                    C(block_sizes=[16, 16], l2_groupings=[2]),
                                    C(block_sizes=[16, 8], pid_type="persistent_interleaved")])
def test_store_under_a_reduced_condition(device, config):
    x = torch.randn(45, 70, device=device)
    out = _run(keep_positive_blocks, (x,), config, device)
    ref = _blocks_ref(x.cpu(), *config["block_sizes"]).to(device)
    torch.testing.assert_close(out.double(), ref, atol=0, rtol=0)
    assert (out == 0).any() and (out != 0).any()


@helion.kernel()
def sparse_weighted_sum(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """An `if` inside an inner loop that updates the loop's carried tensor;
    an `acc`-style number merged from one branch."""
    m, k = x.size()
    out = torch.empty([m], dtype=torch.float32, device=x.device)
    used = torch.empty([m], dtype=torch.int64, device=x.device)
    for tm in hl.tile(m):
        acc = hl.zeros([tm], dtype=torch.float32)
        nonzero = 0
        for j in hl.grid(k):
            wj = w[j]
            if wj != 0:
                acc = acc + x[tm, j] * wj
                nonzero = nonzero + 1
        out[tm] = acc
        used[tm] = hl.zeros([tm], dtype=torch.int64) + nonzero
    return out, used


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64], num_warps=2)])
def test_if_updates_loop_carried_values(device, config):
    x = torch.randn(50, 24, device=device)
    w = torch.randn(24, device=device) * (torch.rand(24, device=device) > 0.5)
    out, used = _run(sparse_weighted_sum, (x, w), config, device)
    torch.testing.assert_close(out.double(), x.double() @ w.double(), atol=1e-5, rtol=1e-5)
    assert (used == (w != 0).sum()).all()


@helion.kernel()
def first_branch_value(x: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    """Names assigned in one branch keep their value from before the `if`
    in the other (a host number becomes the other branch's type)."""
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        v = -1.0
        f = flags[i]
        if f == 1:
            v = x[i] * 3
        if f == 2:
            pass
        else:
            v = v + 1
        out[i] = v
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_names_assigned_in_one_branch(device):
    x = torch.randn(40, device=device)
    flags = torch.randint(0, 3, (40,), device=device, dtype=torch.int32)
    out = _run(first_branch_value, (x, flags), C(), device)
    xd = x.double()
    v = torch.where(flags == 1, xd * 3, -1.0)
    ref = torch.where(flags == 2, v, v + 1)
    torch.testing.assert_close(out.double(), ref, atol=1e-6, rtol=1e-6)


@helion.kernel()
def unit_tile_condition(x: torch.Tensor) -> torch.Tensor:
    """A one-element tensor condition (a block-size-1 tile), through helion-drop-unit-dims."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tb, tn in hl.tile([m, n], block_size=[1, None]):
        v = x[tb, tn]
        if x[tb, 0] > 0:
            v = v * 2
        out[tb, tn] = v
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[32]), C(block_sizes=[128])])
def test_one_element_tensor_condition(device, config):
    x = torch.randn(9, 100, device=device)
    out = _run(unit_tile_condition, (x,), config, device)
    ref = torch.where(x[:, :1] > 0, x.double() * 2, x.double())
    torch.testing.assert_close(out.double(), ref, atol=0, rtol=0)


def _clip(v, lo):
    """A helper with a device `if`, traced inline."""
    if v < lo:
        v = lo
    return v


@helion.kernel()
def index_conditions(x: torch.Tensor) -> torch.Tensor:
    """Conditions on the grid index and a tile's begin (index scalars), stores in every branch."""
    m, n = x.size()
    out = torch.empty_like(x)
    for i in hl.grid(m):
        for t in hl.tile(n):
            if i == 0:
                out[i, t] = x[i, t]
            elif t.begin >= 32:
                out[i, t] = -x[i, t]
            else:
                out[i, t] = x[i, t] * 0 + _clip(x[i, 0], 0.5)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_index_conditions_and_helper(device):
    x = torch.randn(6, 70, device=device)
    out = _run(index_conditions, (x,), C(block_sizes=[16]), device)
    xd = x.double()
    ref = xd.clamp_min(0.5)[:, :1].expand(-1, 70).clone()
    ref[:, 32:] = -xd[:, 32:]
    ref[0] = xd[0]
    torch.testing.assert_close(out.double(), ref, atol=1e-6, rtol=1e-6)


@helion.kernel()
def host_and_device_if(x: torch.Tensor, mode: str, k: int) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        v = x[t]
        if mode == "neg":  # host: resolved while tracing
            v = -v
        if k > 2:  # host
            v = v * k
        if v.sum() > 0:  # device
            v = v + 1
        out[t] = v
    return out


def test_host_conditions_stay_resolved_at_trace_time():
    x = torch.randn(64)
    ops = ("scf.if", "arith.subf", "arith.mulf")  # the device `if`, -v, v * k
    ir = host_and_device_if.bind((x, "neg", 3)).tile_ir
    assert [ir.count(op) for op in ops] == [1, 1, 1]
    ir = host_and_device_if.bind((x, "pos", 1)).tile_ir
    assert [ir.count(op) for op in ops] == [1, 0, 0]
    host_and_device_if.bind((x, "neg", 3)).set_config(C(block_sizes=[16]))
    out = host_and_device_if(x, "neg", 3)
    ref = torch.cat([b + 1 if b.sum() > 0 else b for b in (-x.double() * 3).split(16)])
    torch.testing.assert_close(out.double(), ref, atol=1e-6, rtol=1e-6)


@helion.kernel()
def skip_zero_blocks_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A dot inside the `if` (helion-legalize-for-triton's minimum K reaches it): blocks of x that are all
    zero are skipped."""
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm, tn in hl.tile([m, n]):
        acc = hl.zeros([tm, tn], dtype=torch.float32)
        for tk in hl.tile(k):
            xb = x[tm, tk]
            if xb.abs().sum() > 0:
                acc = torch.addmm(acc, xb, y[tk, tn])
        out[tm, tn] = acc
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16, 16, 16]), C(block_sizes=[64, 32, 32], loop_orders=[[1, 0]], l2_groupings=[2]),
                                    C(block_sizes=[16, 16, 16], range_unroll_factors=[0, 2], range_num_stages=[0, 3]),
                                    C(block_sizes=[32, 16, 32], static_ranges=[False, True],
                                      load_eviction_policies=["first", "last"])])
def test_dot_under_a_condition(device, config):
    x, y = torch.randn(64, 96, device=device), torch.randn(96, 48, device=device)
    x[:, 32:64] = 0
    x[:16] = 0
    out = _run(skip_zero_blocks_matmul, (x, y), config, device)
    torch.testing.assert_close(out.double(), x.double() @ y.double(), atol=2e-2, rtol=2e-2)  # tf32


def test_dot_under_a_condition_keeps_the_minimum_k():
    x, y = torch.randn(64, 96), torch.randn(96, 48)
    with pytest.raises(exc.InvalidConfig, match=r"block_sizes\[2\] = 8 is not legal.*minimum for a matmul"):
        skip_zero_blocks_matmul.bind((x, y)).set_config(C(block_sizes=[16, 16, 8]))


@helion.kernel()
def nonnegative_histogram(x: torch.Tensor, num_bins: int) -> torch.Tensor:
    """An atomic under a condition: negative values are not counted."""
    counts = torch.zeros([num_bins], dtype=torch.int32, device=x.device)
    for i in hl.grid(x.size(0)):
        v = x[i]
        if v >= 0:
            hl.atomic_add(counts, [v], 1)
    return counts


@pytest.mark.parametrize("device", DEVICES)
def test_atomic_under_a_condition(device):
    x = torch.randint(-5, 8, (300,), device=device)
    out = _run(nonnegative_histogram, (x, 8), C(), device)
    assert torch.equal(out.long(), torch.bincount(x[x >= 0], minlength=8))


@helion.kernel()
def lazy_conditional_expressions(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """`a if c else b` on a device scalar runs only the chosen side (x[j] is
    not read past the end) and types its result as torch.where does; on a
    tensor condition it stays an elementwise torch.where."""
    out = torch.empty([idx.size(0), 16], dtype=torch.float32, device=x.device)
    for i in hl.grid(idx.size(0)):
        j = idx[i]
        v = x[j] if j < x.size(0) else -1
        w = 1 if j % 2 == 0 else 0.5
        row = hl.full([16], v * w, dtype=torch.float32)
        lanes = torch.arange(16, device=x.device).to(torch.float32)
        out[i, :] = (row + lanes if v > 0 else row) if j > 3 else (lanes if lanes > 7 else row)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_conditional_expressions(device):
    x = torch.randn(10, device=device)
    idx = torch.randint(0, 20, (40,), device=device)
    out = _run(lazy_conditional_expressions, (x, idx), C(), device)
    v = torch.where(idx < 10, x[idx.clamp(max=9)], -1.0) * torch.where(idx % 2 == 0, 1.0, 0.5)
    row, lanes = v[:, None].expand(-1, 16), torch.arange(16.0, device=device)[None, :]
    ref = torch.where(idx[:, None] > 3, torch.where(v[:, None] > 0, row + lanes, row), torch.where(lanes > 7, lanes, row))
    torch.testing.assert_close(out, ref)
    ir = lazy_conditional_expressions.bind((x, idx)).tile_ir
    assert ir.count("scf.if") == 4 and "tensor<16xi1>, tensor<16xf32>" in ir  # the last one: an elementwise select


# ------------------------------------------------------------------ while
@helion.kernel()
def bisect_left(sorted_seq: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """One program per query: host ints carried as device scalars, an `if` in the body."""
    n = sorted_seq.size(0)
    out = torch.empty(queries.size(), dtype=torch.int64, device=queries.device)
    for i in hl.grid(queries.size(0)):
        q = queries[i]
        lo = 0
        hi = n
        while lo < hi:
            mid = (lo + hi) // 2
            if sorted_seq[mid] < q:
                lo = mid + 1
            else:
                hi = mid
        out[i] = lo
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_while_bisection(device):
    s = torch.sort(torch.randn(300, device=device)).values
    q = torch.cat([torch.randn(40, device=device), s[:3], torch.tensor([-9.0, 9.0], device=device)])
    out = _run(bisect_left, (s, q), C(), device)
    assert torch.equal(out, torch.searchsorted(s, q))


@helion.kernel()
def newton_sqrt(x: torch.Tensor) -> torch.Tensor:
    """A carried tensor, a condition reduced from it and an `and` of device values."""
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        a = x[tm]
        y = a
        err = 1.0
        it = 0
        while err > 1e-6 and it < 60:
            ny = 0.5 * (y + a / y)
            err = (ny - y).abs().amax()
            y = ny
            it += 1
        out[tm] = y
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[128], num_warps=8)])
def test_while_carries_a_tensor(device, config):
    x = torch.rand(300, device=device) * 100 + 0.01
    out = _run(newton_sqrt, (x,), config, device)
    torch.testing.assert_close(out.double(), x.double().sqrt(), atol=1e-5, rtol=1e-5)


@helion.kernel()
def repeat_row_sum(x: torch.Tensor, reps: torch.Tensor) -> torch.Tensor:
    """A loaded trip count; a tile loop and a full-row reduction inside the
    body; an int accumulator that the body makes a float (carried as one)."""
    m, n = x.size()
    out = torch.empty_like(x)
    sums = torch.empty([m], dtype=torch.float32, device=x.device)
    for i in hl.grid(m):
        for t in hl.tile(n):
            out[i, t] = hl.zeros([t], dtype=torch.float32)
        total = 0
        k = reps[i]
        while k > 0:
            for t in hl.tile(n):
                out[i, t] = out[i, t] + x[i, t]
            total = total + x[i, :].sum()
            k -= 1
        sums[i] = total
    return out, sums


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64], reduction_loops=[32])])
def test_while_with_loops_and_reductions_inside(device, config):
    x = torch.randn(7, 90, device=device)
    reps = torch.randint(0, 5, (7,), device=device, dtype=torch.int32)
    reps[0] = 0
    out, sums = _run(repeat_row_sum, (x, reps), config, device)
    r = reps.double()[:, None]
    torch.testing.assert_close(out.double(), x.double() * r, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(sums.double(), (x.double() * r).sum(1), atol=1e-4, rtol=1e-5)


@helion.kernel()
def triangular_counts(x: torch.Tensor) -> torch.Tensor:
    """Nested `while` loops: sum over v of v - 1, counted one step at a time."""
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        v = x[i]
        n = 0
        while v > 1:
            w = v
            while w > 1:
                w = w - 1
                n += 1
            v = v - 1
        out[i] = n
    return out


@helion.kernel()
def lanes_one_by_one(x: torch.Tensor) -> torch.Tensor:
    """A `while` over a tile's range with an index scalar carried: scalar stores inside."""
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        j = t.begin
        while j < t.end:
            out[j] = x[j] + j
            j = j + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_nested_while_and_index_scalars(device):
    x = torch.randint(0, 12, (30,), device=device)
    out = _run(triangular_counts, (x,), C(), device)
    assert torch.equal(out, ((x - 1).clamp_min(0) * x // 2))
    y = torch.randn(45, device=device)
    out = _run(lanes_one_by_one, (y,), C(block_sizes=[16]), device)
    torch.testing.assert_close(out, y + torch.arange(45, device=device))


@helion.kernel()
def store_then_replace(x: torch.Tensor) -> torch.Tensor:
    """A carried [1, N] tensor (a unit tile) whose old value is only stored:
    helion-drop-unit-dims once re-typed the loop's block argument alone; it
    now keeps every dim of ops it does not model, region arguments included."""
    m, n = x.size()
    out = torch.zeros_like(x)
    for tb, tn in hl.tile([m, n], block_size=[1, None]):
        v = x[tb, tn]
        k = 0
        while k < 3:
            out[tb, tn] = v + x[tb, tn]
            v = x[tb, tn] * (k + 2)
            k += 1
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64], num_warps=2)])
def test_while_carrying_a_unit_tile_tensor(device, config):
    x = torch.randn(5, 40, device=device)
    out = _run(store_then_replace, (x,), config, device)
    torch.testing.assert_close(out, x * 4)


def test_while_carrying_a_unit_tile_tensor_compiles_for_sm90(compile_case_sm90):
    """helion-drop-unit-dims keeps every dim of scf.while's values and region
    arguments (it does not model the op), so the loop's types stay consistent."""
    ttir, compiled, _ = compile_case_sm90(store_then_replace, (torch.randn(5, 40),), C(block_sizes=[16]))
    assert "scf.while" in ttir.text and compiled.asm["cubin"]


@helion.kernel()
def first_positive(x: torch.Tensor) -> torch.Tensor:
    """`and` in a condition short-circuits: x[m] is never read (the CPU
    executor would refuse the out-of-bounds load)."""
    m = x.size(0)
    out = torch.empty([1], dtype=torch.int64, device=x.device)
    for g in hl.grid(1):
        j = 0
        while j < m and x[j] <= 0:
            j = j + 1
        out[g] = j
    return out


@helion.kernel()
def guarded_gather(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """`and`/`or` chains in `if`/`elif`: loads only where the guards before them hold."""
    out = torch.zeros(idx.size(), dtype=x.dtype, device=x.device)
    for i in hl.grid(idx.size(0)):
        j = idx[i]
        if j >= 0 and j < x.size(0) and x[j] > 0:
            out[i] = x[j]
        elif j < 0 or x[0] > 100:
            out[i] = -1.0
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_and_or_short_circuit(device):
    x = -torch.rand(37, device=device)
    assert _run(first_positive, (x,), C(), device).item() == 37
    x[20] = 1.0
    assert first_positive(x).item() == 20
    x = torch.randn(30, device=device)
    idx = torch.randint(-10, 50, (64,), device=device)
    out = _run(guarded_gather, (x, idx), C(), device)
    safe = x[idx.clamp(0, 29)]
    ref = torch.where((idx >= 0) & (idx < 30) & (safe > 0), safe, torch.where(idx < 0, -1.0, 0.0))
    torch.testing.assert_close(out, ref, atol=0, rtol=0)


@helion.kernel()
def host_decided_conditions(x: torch.Tensor, enabled: bool) -> torch.Tensor:
    """Host operands of and/or that decide the truth fold away: with
    enabled=False the loop is not emitted at all (Triton cannot compile a
    loop whose body it proves dead)."""
    out = torch.zeros_like(x)
    for i in hl.grid(x.size(0)):
        k = 0
        while k < 3 and enabled:
            out[i] = out[i] + x[i]
            k += 1
        if x[i] > 0 or not enabled:
            out[i] = out[i] + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("enabled", [True, False])
def test_host_operands_decide_conditions(device, enabled):
    x = torch.randn(20, device=device)
    out = _run(host_decided_conditions, (x, enabled), C(), device)
    ref = (x * 3 + (x > 0)) if enabled else torch.ones_like(x)
    torch.testing.assert_close(out, ref)
    ir = host_decided_conditions.bind((x, enabled)).tile_ir
    assert (ir.count("scf.while"), ir.count("scf.if")) == ((1, 1) if enabled else (0, 0))


# ------------------------------------------------------------------ sm_90
@pytest.mark.parametrize("kernel,args,config,ops", [
    (sign_scale_rows, (torch.randn(8, 64), torch.randn(8)), C(), ["scf.if"]),
    (keep_positive_blocks, (torch.randn(40, 40),), C(block_sizes=[16, 16], l2_groupings=[2]), ["scf.if"]),
    (sparse_weighted_sum, (torch.randn(40, 12), torch.randn(12)), C(block_sizes=[16]), ["scf.for", "scf.if"]),
    (unit_tile_condition, (torch.randn(9, 100),), C(block_sizes=[32]), ["scf.if"]),
    (skip_zero_blocks_matmul, (torch.randn(64, 96), torch.randn(96, 48)), C(block_sizes=[32, 32, 16]),
     ["scf.if", '"tt.dot"']),
    (bisect_left, (torch.randn(100), torch.randn(10)), C(), ["scf.while", "scf.if"]),
    (nonnegative_histogram, (torch.randint(-5, 8, (50,)), 8), C(), ["scf.if", '"tt.atomic_rmw"']),
    (lazy_conditional_expressions, (torch.randn(10), torch.randint(0, 20, (40,))), C(), ["scf.if"]),
    (host_decided_conditions, (torch.randn(20), False), C(), []),
    (triangular_counts, (torch.randint(0, 9, (20,)),), C(), ["scf.while"]),
    (first_positive, (torch.randn(40),), C(), ["scf.while"]),
    (guarded_gather, (torch.randn(30), torch.randint(-10, 50, (64,))), C(), ["scf.if"]),
    (lanes_one_by_one, (torch.randn(45),), C(block_sizes=[16]), ["scf.while"]),
    (store_then_replace, (torch.randn(5, 40),), C(block_sizes=[16]), ["scf.while"]),
    (newton_sqrt, (torch.rand(100) + 1,), C(block_sizes=[64]), ["scf.while", '"tt.reduce"']),
    (repeat_row_sum, (torch.randn(7, 90), torch.ones(7, dtype=torch.int32)), C(block_sizes=[16], reduction_loops=[32]),
     ["scf.while", "scf.for"]),
], ids=lambda v: getattr(v, "__name__", None) if isinstance(v, helion.Kernel) else None)
def test_compiles_for_sm90(kernel, args, config, ops, compile_case_sm90):
    ttir, ck, _ = compile_case_sm90(kernel, args, config)
    assert len(ck.asm["cubin"]) > 1000
    for op in ops:
        assert op in ttir.text


# ------------------------------------------------------------------ errors
def test_tensor_condition_is_refused():
    @helion.kernel(config=C(block_sizes=[16]))
    def bad_if(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            if x[t] > 0:
                out[t] = x[t]
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(bad_if, 'if x[t]')}: `if` on a device value that is a "
                                               r"torch.bool tensor of shape \[block0\], not one element: .*torch.where"):
        bad_if(torch.randn(64))

    @helion.kernel(config=C(block_sizes=[16]))
    def bad_while(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t]
            while v < 1:
                v = v * 2
            out[t] = v
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(bad_while, 'while v')}: `while` on a device value that "
                                               r"is a torch.bool tensor"):
        bad_while(torch.randn(64))


def test_name_from_one_branch_is_refused_where_used():
    @helion.kernel(config=C())
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for i in hl.grid(x.size(0)):
            if x[i] > 0:
                y = x[i] * 2
            out[i] = y
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(bad, 'out[i] = y')}: 'y' is assigned only in the then "
                                               rf"branch of the device `if` at line {line_of(bad, 'if x[i]')}"):
        bad(torch.randn(8))


@pytest.mark.parametrize("then, other, why", [
    ("x[i]", "x[i].to(torch.int32)", "same dtype"),
    ("x[i]", "hl.zeros([4], dtype=torch.float32)", "a scalar in one branch and a tensor in the other"),
    ("x[i].to(torch.int32)", "0.5", "a float cannot take the integer type"),
    ("'a'", "'b'", "only values computed in device code and numbers"),
    ("x", "x + 0", "only values computed in device code and numbers"),
])
def test_branches_that_do_not_merge_are_refused_where_used(then, other, why):
    src = f'''
def bad(x):
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        if x[i] > 0:
            y = {then}
        else:
            y = {other}
        out[i] = x[i] + len(str(y))
    return out
'''
    k = _kernel(src, "<branches>", C())
    with pytest.raises(exc.NotSupported, match=rf"<branches>:9: 'y' is .* in one branch of the device `if` at line 5 "
                                               rf"and .* in the other: .*{why}"):
        k(torch.randn(8))


def test_unmerged_loop_carried_value_is_refused_at_its_loop():
    @helion.kernel(config=C(block_sizes=[8]))
    def bad(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty([m], dtype=torch.float32, device=x.device)
        for tm in hl.tile(m):
            acc = hl.zeros([tm], dtype=torch.float32)
            for j in hl.grid(n):
                if w[j] > 0:
                    acc = (acc + x[tm, j]).to(torch.int32)
            out[tm] = acc
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(bad, 'for j in')}: 'acc' is a torch.int32 tensor .* in one "
                                               rf"branch of the device `if` at line {line_of(bad, 'if w[j]')} and a "
                                               r"torch.float32 tensor .* in the other: both branches must give the same dtype"):
        bad(torch.randn(16, 4), torch.randn(4))


def test_unmerged_temporary_is_fine_when_unused():
    @helion.kernel(config=C())
    def ok(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for i in hl.grid(x.size(0)):
            if x[i] > 0:
                tmp = x[i] * 2
                out[i] = tmp
            else:
                tmp = x[i].to(torch.int32)
                out[i] = tmp - 1
        return out

    x = torch.randn(32)
    torch.testing.assert_close(ok(x), torch.where(x > 0, x * 2, x.to(torch.int32).float() - 1))


@pytest.mark.parametrize("stmt, message", [
    ("break", "`break` in device code; fold the exit into the `while` condition"),
    ("continue", "`continue` in device code; put the rest of the body under an `if`"),
])
def test_break_and_continue_are_refused(stmt, message):
    src = f'''
def bad(x):
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        v = x[i]
        while v < 10:
            v = v * 2
            {stmt}
        out[i] = v
    return out
'''
    with pytest.raises(exc.NotSupported, match=rf"<loop>:8: {message}"):
        _kernel(src, "<loop>", C())(torch.rand(8) + 1)


def _returns_in_branch(v):
    if v > 0:
        return v
    return -v


def test_return_in_a_device_branch_is_refused():
    @helion.kernel(config=C())
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for i in hl.grid(x.size(0)):
            out[i] = _returns_in_branch(x[i])
        return out

    line = line_of(_returns_in_branch, "return v")
    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line}: `return` inside an `if` on a device value"):
        bad(torch.randn(8))


def test_endless_host_while_and_uncarried_names_are_refused():
    @helion.kernel(config=C(block_sizes=[16]))
    def endless(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            while True:
                out[t] = x[t]
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(endless, 'while True')}: `while` on a host value that "
                                               "the loop body does not change never ends"):
        endless(torch.randn(32))

    @helion.kernel(config=C())
    def uncarried(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for i in hl.grid(x.size(0)):
            v = x[i]
            mode = "a"
            while v < 10:
                v = v * 2
                mode = "b"
            out[i] = v
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(uncarried, 'while v')}: 'mode' is reassigned in this "
                                               "`while` loop to str"):
        uncarried(torch.rand(8) + 1)


def test_reduction_loop_over_a_merged_row_is_refused_by_the_config():
    x, s = torch.randn(4, 100), torch.randn(4)
    with pytest.raises(exc.CompilationError, match=r"cannot loop reduction_loops\[0\] .* carried through a loop or region; "
                                                   r"use None \(persistent\)"):
        sign_scale_rows.bind((x, s)).set_config(C(reduction_loops=[32]))


# ------------------------------------------------------------------ random programs
def _random_block(rng, depth: int, indent: str, counters: list) -> list:
    """Statements over tiles a, b (int64) and a scalar c: assignments,
    if/else on reduced conditions, stores in branches, bounded while loops."""
    def other(v):  # comparisons of a value with itself fold to constants (see the GPU note below)
        return "b" if v == "a" else "a"

    def expr():
        v1, v2 = rng.choice("ab"), rng.choice(["a", "b", str(rng.randint(-5, 9))])
        r = rng.random()
        if r < 0.2:
            return f"torch.where({v1} > {other(v1)}, {v1}, {v2})"
        if r < 0.3:
            return f"({v1} + c) % 97"
        return f"({v1} {rng.choice('+-*')} {v2}) % 97"

    def cond():
        r = rng.random()
        if r < 0.4:
            c = f"{rng.choice('ab')}.sum() {rng.choice(['<', '>', '>=', '!='])} {rng.randint(0, 1500)}"
        elif r < 0.7:
            v = rng.choice("ab")
            c = f"({v} > {rng.choice([other(v), '30'])}).sum() > {rng.randint(0, 8)}"
        else:
            c = f"c {rng.choice(['<', '>', '=='])} {rng.randint(0, 6)}"
        return f"not {c}" if rng.random() < 0.15 else c

    lines = []
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        if r < 0.4 or depth >= 3:
            lines.append(f"{indent}{rng.choice('ab')} = {expr()}")
        elif r < 0.5:
            lines.append(f"{indent}c = ({rng.choice('ab')}.sum() + c) % 7")
        elif r < 0.7:
            lines.append(f"{indent}if {cond()}:")
            lines += _random_block(rng, depth + 1, indent + "    ", counters)
            if rng.random() < 0.6:
                lines.append(f"{indent}else:")
                lines += _random_block(rng, depth + 1, indent + "    ", counters)
        elif r < 0.8:
            lines += [f"{indent}if {cond()}:", f"{indent}    out2[t] = {expr()}"]
        else:
            k = f"k{len(counters)}"
            counters.append(k)
            lines += [f"{indent}{k} = 0", f"{indent}while {k} < {rng.randint(1, 4)} and {cond()}:"]
            lines += _random_block(rng, depth + 1, indent + "    ", counters)
            lines.append(f"{indent}    {k} = {k} + 1")
    return lines


def _random_program(rng) -> str:
    """A kernel and its torch twin (the same statements on each block)."""
    body = _random_block(rng, 0, " " * 8, [])

    def fn(name, loop):
        return [f"def {name}:", "    out = torch.empty_like(x)", "    out2 = torch.zeros_like(x)", f"    {loop}",
                "        a = x[t]", "        b = y[t]", "        c = 3", *body,
                "        out[t] = a * 10000 + b * 100 + c", "    return out, out2"]
    return "\n".join(["import torch", "import helion.language as hl", *fn("kernel(x, y)", "for t in hl.tile(x.size(0)):"),
                      *fn("reference(x, y, bs)", "for t in (slice(s, s + bs) for s in range(0, x.size(0), bs)):"), ""])


@pytest.mark.parametrize("device", DEVICES)
def test_random_control_flow_programs(device, tmp_path):
    """Random nests of if/else and while on reduced conditions (their values
    merged and carried, stores in branches) against torch on the same blocks;
    HELION_CONTROL_FLOW_FUZZ_N programs (default 30). Loops whose body
    constant propagation proves dead (`k = 0; while k < 0 and ...`) and
    self-comparisons are not generated: Triton's coalescing pass crashes on
    a store in such a region (a Triton bug)."""
    import importlib.util
    import os
    import random

    rng = random.Random(int(os.environ.get("HELION_CONTROL_FLOW_FUZZ_SEED", "0")))
    for i in range(int(os.environ.get("HELION_CONTROL_FLOW_FUZZ_N", "30"))):
        path = tmp_path / f"program_{i}.py"
        path.write_text(_random_program(rng))
        spec = importlib.util.spec_from_file_location(f"program_{i}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        x, y = torch.randint(-20, 60, (45,)), torch.randint(-20, 60, (45,))
        bs = rng.choice([8, 16, 64])
        out, out2 = helion.kernel(config=C(block_sizes=[bs]))(module.kernel)(x.to(device), y.to(device))
        ref, ref2 = module.reference(x, y, bs)
        assert torch.equal(out.cpu(), ref) and torch.equal(out2.cpu(), ref2), f"{path} (block size {bs})"
