"""The host-side language: host values that decide code, one name for a
multi-dim tile, late-bound module globals, epilogue functions (and the
tensors their closures read), block-size arithmetic, tunables, index_dtype.
Each feature: CPU executor numerics against a float64 torch reference with
fresh random inputs, the same on the GPU (marker gpu), an sm_90 compile
through Triton, and its bad input as a located helion.exc error."""
import re

import pytest
import torch

import helion
import helion.language as hl
from language_helpers import sync

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
HERE = re.escape(__file__)


def _line(fn, text: str) -> int:
    """The file line of the first source line of fn containing `text`."""
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


# ----------------------------------------------------------- host values deciding code
@helion.kernel(config=helion.Config(block_sizes=[32]))
def scaled(x: torch.Tensor, beta: float, mode: str, flag: bool, bias) -> torch.Tensor:
    out = torch.empty_like(x)
    if mode == "sum":  # host code: plain Python
        out = torch.zeros_like(x)
    for tile in hl.tile(x.size(0)):
        if beta == 0.0:
            v = x[tile]
        else:
            v = x[tile] * beta
        if mode == "neg" or (mode == "abs" and not flag):
            v = -v.abs() if mode == "abs" else -v
        v = v + 1 if flag else v
        if bias is not None:
            v = v + bias[tile]
        out[tile] = v
    return out


def _scaled_reference(x, beta, mode, flag, bias):
    v = x.double() if beta == 0.0 else x.double() * beta
    if mode == "neg":
        v = -v
    elif mode == "abs" and not flag:
        v = -v.abs()
    v = v + 1 if flag else v
    return v + bias.double() if bias is not None else v


@pytest.mark.parametrize("device", DEVICES)
def test_host_values_decide_device_code(device):
    x = torch.randn(100, device=device)
    bias = torch.randn(100, device=device)
    cases = [(0.0, "neg", True, None), (2.5, "neg", True, None), (2.5, "abs", False, bias), (-1.5, "sum", True, bias),
             (0.0, "abs", True, None)]
    for beta, mode, flag, b in cases:
        out = scaled(x, beta, mode, flag, b)
        sync(device)
        torch.testing.assert_close(out.double(), _scaled_reference(x, beta, mode, flag, b), atol=1e-5, rtol=1e-5,
                                   msg=str((beta, mode, flag)))
    # beta decides code, so its value is in the key; the same values reuse their specialization
    n = len(scaled._specs)
    scaled(x, 2.5, "neg", True, None)
    scaled(x, 7.0, "neg", True, None)
    assert len(scaled._specs) == n + 1


def test_float_in_arithmetic_only_stays_a_runtime_argument():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def axpy(x: torch.Tensor, alpha: float) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * alpha
        return out

    x = torch.randn(70)
    for alpha in (0.5, -2.0, 3.25):
        torch.testing.assert_close(axpy(x, alpha).double(), x.double() * alpha, atol=1e-5, rtol=1e-5)
    assert len(axpy._specs) == 1


def test_host_value_conditions_sm90(compile_case_sm90):
    x, bias = torch.randn(100), torch.randn(100)
    ttir, ck, _ = compile_case_sm90(scaled, (x, 0.0, "abs", False, bias), helion.Config(block_sizes=[64]))
    assert ck.asm["cubin"]
    assert "math.absf" in ttir.text


def test_condition_on_a_device_value_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def bad(x: torch.Tensor, beta: float) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            if x[tile] > beta:
                out[tile] = x[tile]
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(bad, 'if x[tile]')}: `if` on a device value"):
        bad(torch.randn(64), 1.0)

    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def incomparable(x: torch.Tensor, mode: str) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * 2 if mode < 3 else x[tile]
        return out

    with pytest.raises(helion.exc.TypeError_, match=rf"{HERE}:{_line(incomparable, 'mode < 3')}: comparing host values: "
                                                     r"'<' not supported between instances of 'str' and 'int'"):
        incomparable(torch.randn(64), "fast")


# ----------------------------------------------------------- one name for a multi-dim tile
@helion.kernel(config=helion.Config(block_sizes=[16, 32]))
def add_tiles(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(out.size()):
        out[tile] = x[tile] + y[tile]
    return out


@helion.kernel(config=helion.Config(block_sizes=[16, 16, 16]))
def tile_parts(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tile in hl.tile([m, n]):
        tm, tn = tile
        acc = hl.zeros(tile, dtype=torch.float32)
        for tk in hl.tile(k):
            acc = acc + torch.matmul(x[tile[0], tk], y[tk, tn])
        out[tile] = acc + tile[1].index.to(torch.float32)[None, :] - tm.index.to(torch.float32)[:, None]
    return out


@helion.kernel(config=helion.Config(block_sizes=[8, 4, 8]))
def inner_multi(x: torch.Tensor) -> torch.Tensor:
    b, m, n = x.size()
    out = torch.empty([b], dtype=torch.float32, device=x.device)
    for tb in hl.tile(b):
        acc = hl.zeros([tb], dtype=torch.float32)
        for t in hl.tile([m, n]):
            acc = acc + x[tb, t].to(torch.float32).sum(-1).sum(-1)
        out[tb] = acc
    return out


@helion.kernel(config=helion.Config(block_sizes=[]))
def grid_points(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for idx in hl.grid(x.size()):
        out[idx] = x[idx] * 2 + idx[1]
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_one_name_for_a_multi_dim_tile(device, poison_empty):
    x, y = torch.randn(37, 50, device=device), torch.randn(37, 50, device=device)
    a, b = torch.randn(40, 24, device=device), torch.randn(24, 33, device=device)
    z = torch.randn(19, 21, 30, device=device)
    g = torch.randn(5, 7, device=device)
    poison_empty()
    got = add_tiles(x, y), tile_parts(a, b), inner_multi(z), grid_points(g)
    sync(device)
    torch.testing.assert_close(got[3].double(), g.double() * 2 + torch.arange(7, device=device), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got[0].double(), x.double() + y.double(), atol=1e-5, rtol=1e-5)
    cols = torch.arange(33, device=device, dtype=torch.float64)[None, :]
    rows = torch.arange(40, device=device, dtype=torch.float64)[:, None]
    torch.testing.assert_close(got[1].double(), a.double() @ b.double() + cols - rows, atol=2e-2, rtol=1e-2)
    torch.testing.assert_close(got[2].double(), z.double().sum((1, 2)), atol=1e-3, rtol=1e-4)


def test_one_name_for_a_multi_dim_tile_sm90(compile_case_sm90):
    x = torch.randn(64, 48)
    _, ck, _ = compile_case_sm90(add_tiles, (x, x), helion.Config(block_sizes=[32, 16], loop_orders=[[1, 0]]))
    assert ck.asm["cubin"]
    _, ck, _ = compile_case_sm90(tile_parts, (torch.randn(64, 32), torch.randn(32, 48)), helion.Config(block_sizes=[32, 16, 16]))
    assert ck.asm["cubin"]


def test_multi_dim_tile_bad_unpacking_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for a, b, c in hl.tile(x.size()):
            out[a, b] = x[a, b]
        return out

    with pytest.raises(helion.exc.TypeError_, match=rf"{HERE}:{_line(bad, 'for a, b, c')}: the loop has 2 dimensions; "
                                                     r"unpack them as `for t0, t1 in \.\.\.` or take them as one name"):
        bad(torch.randn(8, 8))

    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def attribute_of_all(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size()):
            out[tile] = x[tile] + tile.begin
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(attribute_of_all, 'tile.begin')}: attribute 'begin' "
                                                       r"of the 2 tiles of a multi-dim loop \(take one: tile\[0\]\)"):
        attribute_of_all(torch.randn(8, 8))


# ----------------------------------------------------------- module globals bound late
@helion.kernel(config=helion.Config(block_sizes=[32]))
def uses_late_globals(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    scale = LATE_SCALE * 2  # host code reads it at call time too
    for tile in hl.tile(x.size(0)):
        out[tile] = late_helper(x[tile]) * scale + LATE_SCALE
    return out


def late_helper(v):
    return torch.sigmoid(v) + LATE_OFFSET


LATE_SCALE = 1.5
LATE_OFFSET = 0.25


@pytest.mark.parametrize("device", DEVICES)
def test_module_globals_defined_after_the_kernel(device):
    x = torch.randn(90, device=device)
    out = uses_late_globals(x)
    sync(device)
    xd = x.double()
    torch.testing.assert_close(out.double(), (torch.sigmoid(xd) + LATE_OFFSET) * 3.0 + 1.5, atol=1e-5, rtol=1e-5)


LIFTED_TABLE = None  # module-level tensors the device loop reads (set by the test)
LIFTED_SCALE = None


def _scaled_by_table(v, t):
    return v * LIFTED_SCALE[t]


@helion.kernel(config=helion.Config(block_sizes=[32]))
def reads_globals(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = _scaled_by_table(x[tile], tile) + LIFTED_TABLE[tile]
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_global_tensors_become_kernel_arguments(device, monkeypatch):
    x = torch.randn(90, device=device)
    for _ in range(2):  # new tensors in the globals: read on the next call, not baked in
        monkeypatch.setitem(globals(), "LIFTED_TABLE", torch.randn(90, device=device))
        monkeypatch.setitem(globals(), "LIFTED_SCALE", torch.randn(90, device=device))
        out = reads_globals(x)
        sync(device)
        torch.testing.assert_close(out.double(), x.double() * LIFTED_SCALE.double() + LIFTED_TABLE.double(),
                                   atol=1e-5, rtol=1e-5)
    assert len(reads_globals._specs) == 1
    monkeypatch.setitem(globals(), "LIFTED_TABLE", torch.randn(90, device=device, dtype=torch.float64))
    out = reads_globals(x)  # a new dtype: a new specialization
    sync(device)
    torch.testing.assert_close(out.double(), x.double() * LIFTED_SCALE.double() + LIFTED_TABLE, atol=1e-5, rtol=1e-5)
    assert len(reads_globals._specs) == 2


def test_global_tensors_sm90(compile_case_sm90, monkeypatch):
    monkeypatch.setitem(globals(), "LIFTED_TABLE", torch.randn(128))
    monkeypatch.setitem(globals(), "LIFTED_SCALE", torch.randn(128))
    _, ck, _ = compile_case_sm90(reads_globals, (torch.randn(128),), helion.Config(block_sizes=[64]))
    assert ck.asm["cubin"]
    assert len(reads_globals.bind((torch.randn(128),)).spec.traced.runtime_args) == 4  # out, x and the two globals


def test_undefined_global_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = never_defined_helper(x[tile])  # noqa: F821
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(bad, 'never_defined')}: name 'never_defined_helper' is not defined"):
        bad(torch.randn(8))


# ----------------------------------------------------------- epilogues
@helion.kernel(config=helion.Config(block_sizes=[16, 16, 16]))
def matmul_epilogue(x: torch.Tensor, y: torch.Tensor, epilogue) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = epilogue(acc, (tile_m, tile_n))
    return out


EPILOGUE_BIAS = None  # a module-level tensor an epilogue reads (set by the test)


def _global_bias_epilogue(acc, tile):
    return acc * 2 - EPILOGUE_BIAS[tile[1]]


@pytest.mark.parametrize("device", DEVICES)
def test_epilogues_and_captured_tensors(device, monkeypatch):
    x, y = torch.randn(40, 24, device=device), torch.randn(24, 36, device=device)
    bias, rows = torch.randn(36, device=device), torch.randn(40, device=device)
    ref = x.double() @ y.double()

    def relu_bias(acc, tile):  # a closure over two host tensors and a float
        tm, tn = tile
        return torch.relu(acc + bias[tn]) * rows[tm][:, None] * scale

    scale = 0.5
    cases = [(lambda acc, tile: acc + 1.0, ref + 1),
             (relu_bias, torch.relu(ref + bias.double()) * rows.double()[:, None] * 0.5)]
    for fn, want in cases:
        out = matmul_epilogue(x, y, fn)
        sync(device)
        torch.testing.assert_close(out.double(), want, atol=2e-2, rtol=1e-2)
    # new tensors in the closure on the next call: read, not baked in
    bias, rows = torch.randn(36, device=device), torch.randn(40, device=device)
    out = matmul_epilogue(x, y, relu_bias)
    sync(device)
    torch.testing.assert_close(out.double(), torch.relu(ref + bias.double()) * rows.double()[:, None] * 0.5, atol=2e-2, rtol=1e-2)
    # a module global tensor read by a module-level epilogue
    monkeypatch.setitem(globals(), "EPILOGUE_BIAS", torch.randn(36, device=device))
    out = matmul_epilogue(x, y, _global_bias_epilogue)
    sync(device)
    torch.testing.assert_close(out.double(), ref * 2 - EPILOGUE_BIAS.double(), atol=2e-2, rtol=1e-2)


def test_epilogue_sm90(compile_case_sm90):
    x, y, bias = torch.randn(64, 32), torch.randn(32, 64), torch.randn(64)
    bound_args = (x, y, lambda acc, tile: torch.sigmoid(acc) + bias[tile[1]])
    _, ck, _ = compile_case_sm90(matmul_epilogue, bound_args, helion.Config(block_sizes=[32, 32, 16]))
    assert ck.asm["cubin"]
    assert len(matmul_epilogue.bind(bound_args).spec.traced.runtime_args) == 4  # x, y, out and the captured bias


def test_epilogue_tensor_on_another_device_is_refused():
    other = torch.randn(36, device="meta")
    with pytest.raises(helion.exc.InvalidArgument, match=r"'epilogue\.other'"):
        matmul_epilogue(torch.randn(8, 8), torch.randn(8, 36), lambda acc, tile: acc + other[tile[1]])


# ----------------------------------------------------------- block sizes in host code
@helion.kernel(config=helion.Config(block_sizes=[16]))
def block_sums(x: torch.Tensor) -> torch.Tensor:
    n = x.size(0)
    bs = hl.register_block_size(n)
    partial = torch.empty([helion.cdiv(n, bs), 2], dtype=torch.float32, device=x.device)
    width = bs * 2 - bs  # host arithmetic: an int
    for tile in hl.tile(n, block_size=bs):
        s = x[tile].to(torch.float32).sum()
        partial[tile.id, 0] = s
        partial[tile.id, 1] = s * width + n // bs
    return partial


def _block_sums_reference(x, bs):
    n = x.size(0)
    nb = -(-n // bs)
    s = torch.nn.functional.pad(x.double(), (0, nb * bs - n)).view(nb, bs).sum(1)
    return torch.stack([s, s * bs + n // bs], 1)


@pytest.mark.parametrize("device", DEVICES)
def test_block_size_arithmetic_in_host_code(device, poison_empty):
    x = torch.randn(1000, device=device)
    poison_empty()
    out = block_sums(x)
    sync(device)
    torch.testing.assert_close(out.double(), _block_sums_reference(x, 16), atol=1e-4, rtol=1e-4)
    spec = block_sums.bind((x,)).config_spec
    assert spec.block_sizes[0].describe() == "a power of two in [16, 16]"  # host code computed with 16
    with pytest.raises(helion.exc.InvalidConfig, match=r"Config\.block_sizes\[0\] = 32 is not legal; expected a power "
                                                        r"of two in \[16, 16\] \(the bounds of hl.register_block_size"):
        spec.normalize(helion.Config(block_sizes=[32]))


def test_block_size_read_in_host_code_without_a_config():
    @helion.kernel(autotune_effort="none")
    def sums(x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        bs = hl.register_block_size(n)
        partial = torch.empty([helion.cdiv(n, bs)], dtype=torch.float32, device=x.device)
        for tile in hl.tile(n, block_size=bs):
            partial[tile.id] = x[tile].sum()
        return partial

    x = torch.randn(1000)
    out = sums(x)
    assert out.shape == (16,)  # the default of 64
    torch.testing.assert_close(out.double(), _block_sums_reference(x, 64)[:, 0], atol=1e-4, rtol=1e-4)


def test_host_read_block_size_with_several_configs():
    agree = helion.kernel(configs=[helion.Config(block_sizes=[16], num_warps=2), helion.Config(block_sizes=[16])])(block_sums.fn)
    x = torch.randn(300)
    torch.testing.assert_close(agree(x).double(), _block_sums_reference(x, 16), atol=1e-4, rtol=1e-4)
    differ = helion.kernel(configs=[helion.Config(block_sizes=[16]), helion.Config(block_sizes=[32])])(block_sums.fn)
    with pytest.raises(helion.exc.InvalidConfig, match=rf"{HERE}:{_line(block_sums, 'bs = ')}: block_sums: host code "
                                                        r"computes with Config\.block_sizes\[0\], but the kernel's configs "
                                                        r"give it several values \(16, 32\)"):
        differ(x)


def test_block_size_arithmetic_sm90(compile_case_sm90):
    _, ck, config = compile_case_sm90(block_sums, (torch.randn(1000),), helion.Config(block_sizes=[16], num_warps=2))
    assert ck.asm["cubin"] and config.block_sizes == [16]


@helion.kernel()
def bounded_scale(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    bm = hl.register_block_size(8, 100)  # powers of two in [8, 64]
    out = torch.empty_like(x)
    for tm, tn in hl.tile([m, n], block_size=[bm, None]):
        out[tm, tn] = x[tm, tn] * 3
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_register_block_size_min_max(device):
    x = torch.randn(130, 70, device=device)
    bound = bounded_scale.bind((x,))
    spec = bound.config_spec
    assert spec.block_sizes[0].describe() == "a power of two in [8, 64]"
    assert {spec.random_config(seed)["block_sizes"][0] for seed in range(60)} == {8, 16, 32, 64}
    for bad in (4, 128):
        with pytest.raises(helion.exc.InvalidConfig, match=rf"Config\.block_sizes\[0\] = {bad} is not legal; "
                                                            r"expected a power of two in \[8, 64\]"):
            spec.normalize(helion.Config(block_sizes=[bad, 32]))
    for config in (spec.default_config(), helion.Config(block_sizes=[8, 16]), helion.Config(block_sizes=[64, 128])):
        bound.set_config(config)
        out = bounded_scale(x)
        sync(device)
        torch.testing.assert_close(out.double(), x.double() * 3, atol=1e-5, rtol=1e-5)


def test_register_block_size_min_max_sm90(compile_case_sm90):
    _, ck, _ = compile_case_sm90(bounded_scale, (torch.randn(130, 70),), helion.Config(block_sizes=[64, 32]))
    assert ck.asm["cubin"]


def test_bad_block_size_registrations_are_located():
    @helion.kernel(autotune_effort="none")
    def empty_range(x: torch.Tensor) -> torch.Tensor:
        bs = hl.register_block_size(100, 60)
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0), block_size=bs):
            out[tile] = x[tile]
        return out

    with pytest.raises(helion.exc.TypeError_, match=rf"{HERE}:{_line(empty_range, 'register_block_size(100')}: "
                                                     r"hl.register_block_size\(100, 60\): no power of two lies in \[100, 60\]"):
        empty_range(torch.randn(8))

    @helion.kernel(autotune_effort="none")
    def unused_first(x: torch.Tensor) -> torch.Tensor:
        unused = hl.register_block_size(8)  # noqa: F841
        bs = hl.register_block_size(x.size(0))
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0), block_size=bs):
            out[tile] = x[tile]
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(unused_first, 'for tile')}: the device loop does not "
                                                       rf"use a block size that host code registered before the one at "
                                                       rf"{HERE}:{_line(unused_first, 'bs = ')}"):
        unused_first(torch.randn(8))


# ----------------------------------------------------------- tunables
from helion.autotuner import BooleanFragment, EnumFragment, IntegerFragment, PowerOfTwoFragment  # noqa: E402


@helion.kernel(config=helion.Config(block_sizes=[32], split=4, mode="neg", shift=2, clamp=True))
def tuned_rows(x: torch.Tensor) -> torch.Tensor:
    split = hl.register_tunable("split", PowerOfTwoFragment(1, 8, 2))
    mode = hl.register_tunable("mode", EnumFragment(("pos", "neg")))
    shift = hl.register_tunable("shift", IntegerFragment(0, 3))
    clamp = hl.register_tunable("clamp", BooleanFragment())
    n = x.size(0)
    chunk = helion.cdiv(n, split)  # host code computes with the tunable
    out = torch.empty([split, chunk], dtype=x.dtype, device=x.device)
    for tile in hl.tile(chunk):
        for s in range(split):
            v = x[tile.index + s * chunk] * (1 << shift)
            if mode == "neg":
                v = -v
            out[s, tile] = torch.clamp(v, -1.0, 1.0) if clamp else v
    return out


def _tuned_rows_reference(x, split, mode, shift, clamp):
    v = x.double().view(split, -1) * (1 << shift)
    v = -v if mode == "neg" else v
    return v.clamp(-1, 1) if clamp else v


def _with_config(kernel, config):
    """The kernel's function compiled again with another config=."""
    return helion.kernel(config=config)(kernel.fn)


@pytest.mark.parametrize("device", DEVICES)
def test_tunables_in_host_and_device_code(device):
    x = torch.randn(256, device=device)
    out = tuned_rows(x)
    sync(device)
    torch.testing.assert_close(out.double(), _tuned_rows_reference(x, 4, "neg", 2, True), atol=1e-5, rtol=1e-5)
    other = _with_config(tuned_rows, helion.Config(block_sizes=[16], split=8, mode="pos", shift=0, clamp=False))
    out = other(x)
    sync(device)
    torch.testing.assert_close(out.double(), _tuned_rows_reference(x, 8, "pos", 0, False), atol=1e-5, rtol=1e-5)
    defaults = helion.kernel(autotune_effort="none")(tuned_rows.fn)  # the fragments' defaults
    out = defaults(x)
    sync(device)
    torch.testing.assert_close(out.double(), _tuned_rows_reference(x, 2, "pos", 0, False), atol=1e-5, rtol=1e-5)


def test_tunables_in_the_config_spec():
    x = torch.randn(256)
    spec = tuned_rows.bind((x,)).config_spec
    default = spec.default_config()
    assert (default.split, default.mode, default.shift, default.clamp) == (4, "neg", 2, True)
    assert [name for name, _, _ in spec.fields()][-4:] == ["split", "mode", "shift", "clamp"]
    assert repr(default).endswith("split=4, mode='neg', shift=2, clamp=True)")
    assert eval(repr(default), {"helion": helion}) == default
    bad = [({"split": 3}, r"Config\.split = 3 is not legal; expected a power of two in \[1, 8\]"),
           ({"mode": "sideways"}, r"Config\.mode = 'sideways' is not legal; expected one of 'pos', 'neg'"),
           ({"shift": 9}, r"Config\.shift = 9 is not legal; expected an integer in \[0, 3\]"),
           ({"clamp": 1}, r"Config\.clamp = 1 is not legal; expected one of False, True"),
           ({"split": 8}, r"Config\.split = 8 is not legal; expected 4, the value the kernel's host code computed with"),
           ({"splitt": 4}, r"Config\.splitt is not a field of this kernel \(its tunables are \['clamp', 'mode', 'shift', "
                           r"'split'\]")]
    for fields, message in bad:
        with pytest.raises(helion.exc.InvalidConfig, match=message):
            spec.normalize(helion.Config(block_sizes=[32], **fields))


def test_searches_move_over_tunables():
    from helion.autotuner import PatternSearch
    from helion.autotuner.config_spec import ConfigSpec

    traced = tuned_rows.bind((torch.randn(256),)).spec.traced
    frags = {"split": PowerOfTwoFragment(1, 8, 2), "mode": EnumFragment(("pos", "neg")), "shift": IntegerFragment(0, 3)}
    spec = ConfigSpec(traced, {name: (f, None) for name, f in frags.items()})  # not fixed by host code
    drawn = [spec.random_config(seed) for seed in range(80)]
    assert {c.split for c in drawn} == {1, 2, 4, 8} and {c.mode for c in drawn} == {"pos", "neg"}
    assert {c.shift for c in drawn} == {0, 1, 2, 3}
    target = {"split": 8, "mode": "neg", "shift": 3}
    seen = []

    def bench(configs):
        seen.extend(configs)
        return [1.0 + abs(c.split.bit_length() - 4) + (c.mode != "neg") + abs(c.shift - 3) for c in configs]

    best = PatternSearch(spec, bench, effort="full", seed=0).search()
    assert {k: best[k] for k in target} == target
    assert len({c.split for c in seen}) > 1


def test_tunable_sm90(compile_case_sm90):
    _, ck, config = compile_case_sm90(tuned_rows, (torch.randn(256),),
                                      helion.Config(block_sizes=[64], split=4, mode="neg", shift=2, clamp=True))
    assert ck.asm["cubin"] and config.split == 4


def test_bad_tunables_are_located():
    @helion.kernel(autotune_effort="none")
    def not_a_fragment(x: torch.Tensor) -> torch.Tensor:
        k = hl.register_tunable("k", [1, 2, 4])
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * k
        return out

    with pytest.raises(helion.exc.InvalidArgument, match=rf"{HERE}:{_line(not_a_fragment, 'register_tunable')}: "
                                                          r"hl.register_tunable\('k', \[1, 2, 4\]\): the second argument "
                                                          r"must be a fragment of helion.autotuner"):
        not_a_fragment(torch.randn(8))

    @helion.kernel(autotune_effort="none")
    def field_name(x: torch.Tensor) -> torch.Tensor:
        w = hl.register_tunable("num_warps", IntegerFragment(1, 4))
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * w
        return out

    with pytest.raises(helion.exc.InvalidArgument, match=rf"{HERE}:{_line(field_name, 'register_tunable')}: .*not a Config field"):
        field_name(torch.randn(8))

    @helion.kernel(autotune_effort="none")
    def bad_fragment(x: torch.Tensor) -> torch.Tensor:
        k = hl.register_tunable("k", PowerOfTwoFragment(3, 64))
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * k
        return out

    with pytest.raises(helion.exc.InvalidArgument, match=rf"{HERE}:{_line(bad_fragment, 'PowerOfTwoFragment')}: "
                                                          r"PowerOfTwoFragment\(3, 64\): low and high must be powers of two"):
        bad_fragment(torch.randn(8))

    @helion.kernel(autotune_effort="none")
    def in_device_code(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        frag = IntegerFragment(1, 4)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * hl.register_tunable("k", frag)
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(in_device_code, 'register_tunable')}: "
                                                       r"hl.register_tunable\(\) belongs in host code"):
        in_device_code(torch.randn(8))

    with pytest.raises(helion.exc.InvalidConfig, match=rf"{HERE}:{_line(_k_host, 'register_tunable')}: _k_host: "
                                                        r"Config\.k = 5 is not legal; expected an integer in \[1, 4\]"):
        helion.kernel(config=helion.Config(block_sizes=[8], k=5))(_k_host)(torch.randn(8))
    several = helion.kernel(configs=[helion.Config(block_sizes=[8], k=2), helion.Config(block_sizes=[16], k=3)])(_k_host)
    with pytest.raises(helion.exc.InvalidConfig, match=rf"{HERE}:{_line(_k_host, 'register_tunable')}: _k_host: host code "
                                                        r"computes with Config\.k, but the kernel's configs give it several "
                                                        r"values \(2, 3\)"):
        several(torch.randn(8))
    with pytest.raises(helion.exc.NotInsideKernel, match="hl.register_tunable"):
        hl.register_tunable("k", IntegerFragment(1, 4))


def _k_host(x: torch.Tensor) -> torch.Tensor:
    k = hl.register_tunable("k", IntegerFragment(1, 4))
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] * k
    return out
