"""Forms that real kernels use: kernel settings (ignore_warnings,
dot_precision, autotune_config_overrides), hl.arange over a tile's block
size, hl.load/hl.store with extra_mask over a tile wider than the tensor,
a specialized static dim beside a full slice, and a full slice of a size-1
dim broadcast against a wider one. CPU numerics against torch with several
configs; each case also compiles for sm_90; GPU twins (marker gpu)."""

import warnings

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, sync

C = helion.Config


# -- settings ------------------------------------------------------------------

def test_new_settings_are_accepted_and_checked():
    s = helion.Settings(ignore_warnings=[exc.TensorOperationInWrapper], dot_precision="ieee",
                        autotune_config_overrides={"num_warps": 4})
    assert s.ignore_warnings == [exc.TensorOperationInWrapper] and s.dot_precision == "ieee"
    assert issubclass(exc.TensorOperationInWrapper, Warning)
    assert helion.Settings().dot_precision == "tf32" and helion.Settings().autotune_config_overrides == {}
    with pytest.raises(exc.InvalidSetting, match="dot_precision"):
        helion.Settings(dot_precision="fp64")
    with pytest.raises(exc.InvalidSetting, match="ignore_warnings"):
        helion.Settings(ignore_warnings=["TensorOperationInWrapper"])
    with pytest.raises(exc.InvalidSetting, match="autotune_config_overrides"):
        helion.Settings(autotune_config_overrides=[("num_warps", 4)])
    with pytest.raises(exc.InvalidSetting, match="autotune_config_overrides"):
        helion.Settings(autotune_config_overrides={"num_warp": 4})


def _mm_kernel(**settings):
    @helion.kernel(autotune_effort="none", **settings)
    def mm(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        m, _ = x.size()
        n = y.size(1)
        out = torch.empty([m, n], dtype=torch.float32, device=x.device)
        for tm, tn in hl.tile([m, n]):
            out[tm, tn] = torch.mm(x[tm, :], y[:, tn])
        return out
    return mm


@pytest.mark.parametrize("precision", ["tf32", "tf32x3", "ieee"])
def test_dot_precision_reaches_the_dot(precision, compile_case_sm90):
    mm = _mm_kernel(dot_precision=precision)
    x, y = torch.randn(32, 64), torch.randn(64, 32)
    ir = mm.bind((x, y)).tile_ir
    assert (f'input_precision = "{precision}"' in ir) == (precision != "tf32")  # tf32: the default, not printed
    err = (mm(x, y).double() - x.double() @ y.double()).abs().max().item()
    if precision == "tf32":
        assert 1e-5 < err < 5e-2  # inputs rounded to tf32
    else:
        assert err < 1e-4
    compile_case_sm90(mm, (x, y), C(block_sizes=[32, 32]))


def test_autotune_config_overrides_force_the_default():
    mm = _mm_kernel(autotune_config_overrides={"num_warps": 2, "num_stages": 1})
    x, y = torch.randn(16, 16), torch.randn(16, 16)
    torch.testing.assert_close(mm(x, y), x @ y, rtol=2e-2, atol=5e-2)
    spec = mm.bind((x, y)).spec
    config = spec.best.config
    assert config.num_warps == 2 and config.num_stages == 1


class _MyWarning(UserWarning):
    pass


def test_ignore_warnings_silences_only_the_listed_classes():
    import helion.runtime.settings as settings_mod

    s = helion.Settings(ignore_warnings=[_MyWarning])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with s.silenced():
            warnings.warn("hidden", _MyWarning)
            warnings.warn("shown", UserWarning)
    assert [str(w.message) for w in seen] == ["shown"]
    assert settings_mod.Settings().silenced() is not None


# -- hl.arange over a tile's block size ------------------------------------------

@helion.kernel()
def arange_block(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        idx = t.begin + hl.arange(t.block_size)
        out[t] = x[t] + idx.to(x.dtype) + hl.arange(t.block_size).to(x.dtype) * 1000
    return out


@helion.kernel()
def arange_registered(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    bm = hl.register_block_size(x.size(0))
    for t in hl.tile(x.size(0), block_size=bm):
        rows = t.begin + hl.arange(bm)
        out[t] = hl.load(x, [rows], extra_mask=rows < x.size(0)) * 2
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[32], num_warps=2), C(block_sizes=[128])])
def test_arange_of_block_size_lines_up_with_the_tile(device, config, compile_case_sm90):
    x = torch.randn(100, device=device)
    arange_block.bind((x,)).set_config(config)
    out = arange_block(x)
    sync(device)
    bs = config.block_sizes[0]
    lanes = torch.arange(100, device=device)
    torch.testing.assert_close(out, x + lanes.float() + (lanes % bs).float() * 1000)
    if device == "cpu":
        compile_case_sm90(arange_block, (x,), config)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64])])
def test_arange_of_a_registered_block_size(device, config, compile_case_sm90):
    x = torch.randn(100, device=device)
    arange_registered.bind((x,)).set_config(config)
    out = arange_registered(x)
    sync(device)
    torch.testing.assert_close(out, x * 2)
    if device == "cpu":
        compile_case_sm90(arange_registered, (x,), config)


def test_arange_of_a_device_value_is_refused():
    @helion.kernel(autotune_effort="none")
    def bad(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + hl.arange(n[0]).to(x.dtype)
        return out
    with pytest.raises(exc.Base, match="hl.arange"):
        bad(torch.randn(8), torch.tensor([4]))


# -- hl.load / hl.store with extra_mask over a tile wider than the tensor ------------

@helion.kernel()
def concat_1d(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0) + y.size(0)], dtype=x.dtype, device=x.device)
    for t in hl.tile(out.size(0)):
        a = hl.load(x, [t], extra_mask=t.index < x.size(0))
        b = hl.load(y, [t.index - x.size(0)], extra_mask=t.index >= x.size(0))
        out[t] = torch.where(t.index < x.size(0), a, b)
    return out


@helion.kernel()
def concat_2d_dim1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, n1 = x.size()
    n2 = y.size(1)
    out = torch.empty([m, n1 + n2], dtype=x.dtype, device=x.device)
    for tm, tn in hl.tile([m, n1 + n2]):
        left = (tn.index < n1)[None, :]
        a = hl.load(x, [tm, tn], extra_mask=left)
        b = hl.load(y, [tm, tn.index - n1], extra_mask=~left)
        out[tm, tn] = torch.where(left, a, b)
    return out


@helion.kernel()
def store_prefix(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    # out is shorter than x: the tile runs over x and stores only the lanes out holds.
    for t in hl.tile(x.size(0)):
        hl.store(out, [t], x[t] * 3, extra_mask=t.index < out.size(0))
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[32], indexing="block_ptr"), C(block_sizes=[128])])
def test_load_with_extra_mask_past_the_tensor(device, config, compile_case_sm90):
    x, y = torch.randn(40, device=device), torch.randn(60, device=device)
    concat_1d.bind((x, y)).set_config(config)
    out = concat_1d(x, y)
    sync(device)
    torch.testing.assert_close(out, torch.cat([x, y]))
    if device == "cpu":
        compile_case_sm90(concat_1d, (x, y), config)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8, 16]), C(block_sizes=[4, 64], indexing="block_ptr"),
                                    C(block_sizes=[16, 32], indexing="tensor_descriptor")])
def test_2d_load_with_extra_mask_past_the_tensor(device, config, compile_case_sm90):
    x, y = torch.randn(24, 40, device=device), torch.randn(24, 72, device=device)
    concat_2d_dim1.bind((x, y)).set_config(config)
    out = concat_2d_dim1(x, y)
    sync(device)
    torch.testing.assert_close(out, torch.cat([x, y], dim=1))
    if device == "cpu":
        compile_case_sm90(concat_2d_dim1, (x, y), config)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[64], indexing="block_ptr")])
def test_store_with_extra_mask_past_the_tensor(device, config, compile_case_sm90):
    x = torch.randn(100, device=device)
    out = torch.full([70], 1234.5, device=device)
    big = torch.full([128], 1234.5, device=device)
    backing = big[:70]  # elements past out's end must stay untouched
    store_prefix.bind((x, backing)).set_config(config)
    store_prefix(x, backing)
    sync(device)
    torch.testing.assert_close(backing, x[:70] * 3)
    assert (big[70:] == 1234.5).all()
    del out
    if device == "cpu":
        compile_case_sm90(store_prefix, (x, backing), config)


@helion.kernel()
def padded_read(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    # extra_mask keeps every lane: the dim's own end must still mask the lanes past x.
    for t in hl.tile(out.size(0)):
        out[t] = hl.load(x, [t], extra_mask=t.index >= 0) + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[128], indexing="block_ptr")])
def test_guarded_access_is_also_masked_at_the_tensors_end(device, config, compile_case_sm90):
    big = torch.full([100], 1234.5, device=device)
    x = big[:40]  # what lies past x's end is poison
    out = torch.empty(100, device=device)
    padded_read.bind((x, out)).set_config(config)
    padded_read(x, out)
    sync(device)
    torch.testing.assert_close(out, torch.cat([x, torch.zeros(60, device=device)]) + 1)
    if device == "cpu":
        compile_case_sm90(padded_read, (x, out), config)


def test_plain_subscript_past_the_tensor_is_still_refused():
    @helion.kernel(autotune_effort="none")
    def bad(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0) + y.size(0)], dtype=x.dtype, device=x.device)
        for t in hl.tile(out.size(0)):
            out[t] = x[t]
        return out
    with pytest.raises(exc.TypeError_, match="extra_mask"):
        bad(torch.randn(40), torch.randn(60))


# -- a specialized non-power-of-two size beside a full slice ---------------------------

@helion.kernel()
def matmul_specialized_n(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, kk = x.size()
    n = hl.specialize(y.size(1))
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm in hl.tile(m):
        acc = hl.zeros([tm, n], dtype=torch.float32)
        for tk in hl.tile(kk):
            acc = torch.addmm(acc, x[tm, tk], y[tk, :])
        out[tm, :] = acc + hl.full([tm, n], 0.5, dtype=torch.float32)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [200, 256, 48])
@pytest.mark.parametrize("config", [C(block_sizes=[16, 16]), C(block_sizes=[32, 64], num_warps=8)])
def test_specialized_size_lines_up_with_a_full_slice(device, n, config, compile_case_sm90):
    x, y = torch.randn(32, 64, device=device), torch.randn(64, n, device=device)
    bound = matmul_specialized_n.bind((x, y))
    bound.set_config(config)
    out = matmul_specialized_n(x, y)
    sync(device)
    torch.testing.assert_close(out, x @ y + 0.5, rtol=2e-2, atol=5e-2)
    if device == "cpu":
        compile_case_sm90(matmul_specialized_n, (x, y), config)


# -- a full slice of a size-1 dim broadcasts ------------------------------------------

@helion.kernel()
def scale_rows(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        out[tm, :] = x[tm, :] * r[tm, :]
    return out


@helion.kernel()
def row_sums_keepdim(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    for tm in hl.tile(x.size(0)):
        out[tm, :] = x[tm, :].sum(1, keepdim=True) + out[tm, :]
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(16, 64), (20, 100), (8, 1)])
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[16], num_warps=2)])
def test_full_slice_of_a_size_one_dim_broadcasts(device, shape, config, compile_case_sm90):
    x, r = torch.randn(*shape, device=device), torch.randn(shape[0], 1, device=device)
    scale_rows.bind((x, r)).set_config(config)
    out = scale_rows(x, r)
    sync(device)
    torch.testing.assert_close(out, x * r)
    if device == "cpu":
        compile_case_sm90(scale_rows, (x, r), config)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[8], reduction_loops=[32])])
def test_size_one_full_slice_store(device, config, compile_case_sm90):
    x, out = torch.randn(24, 100, device=device), torch.randn(24, 1, device=device)
    expected = x.sum(1, keepdim=True) + out
    row_sums_keepdim.bind((x, out)).set_config(config)
    row_sums_keepdim(x, out)
    sync(device)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    if device == "cpu":
        compile_case_sm90(row_sums_keepdim, (x, out.clone()), config)


def test_ignore_warnings_applies_to_the_kernels_compile():
    # Two kernels (warnings are given once per kernel name and reason).
    @helion.kernel(config=C(block_sizes=[16], indexing="block_ptr"), ignore_warnings=[UserWarning])
    def masked_copy_quiet(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = hl.load(x, [t], extra_mask=t.index % 2 == 0)  # masked: pointers, with a warning
        return out

    @helion.kernel(config=C(block_sizes=[16], indexing="block_ptr"))
    def masked_copy_loud(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = hl.load(x, [t], extra_mask=t.index % 2 == 0)
        return out

    x = torch.randn(40)
    for k, shown in ((masked_copy_quiet, False), (masked_copy_loud, True)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = k(x)
        assert any("load uses pointers" in str(w.message) for w in seen) == shown
        torch.testing.assert_close(out, torch.where(torch.arange(40) % 2 == 0, x, 0.0))


def test_autotune_config_overrides_force_the_tuners_candidates():
    mm = _mm_kernel(autotune_config_overrides={"num_warps": 2})
    x, y = torch.randn(16, 16), torch.randn(16, 16)
    config = mm.autotune((x, y), force=True)
    assert config.num_warps == 2
    torch.testing.assert_close(mm(x, y), x @ y, rtol=2e-2, atol=5e-2)
