"""Tensor methods and torch factories in device code, against torch:
- an accumulator sized by hl.register_block_size, filled in a loop over that
  block size and reduced after the loop (sum, mean, argmax, max): every lane
  holds data there, nothing of the finished loop is used;
- x.new_zeros / new_ones / new_full / new_empty, torch.zeros / full and
  torch.*_like, also of device scalars;
- torch.stack, x.squeeze(d) of a tile dim (a no-op, as torch's squeeze of a
  dim that is not 1), x.expand / x.expand_as.
Numerics on the CPU executor under several Configs and (marker gpu) on CUDA;
each kernel also compiles for sm_90; bad calls fail at the user's line."""

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, line_of, sync

C = helion.Config


# -- accumulators of a register_block_size dim, reduced after their loop -----------
@helion.kernel()
def regbs_row_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    m, n = x.size()
    total = torch.empty([m], dtype=x.dtype, device=x.device)
    mx = torch.empty([m], dtype=x.dtype, device=x.device)
    lane_mean = torch.empty([m], dtype=x.dtype, device=x.device)
    best_lane = torch.empty([m], dtype=torch.int64, device=x.device)
    bn = hl.register_block_size(n)
    for tm in hl.tile(m):
        acc = hl.zeros([tm, bn], dtype=x.dtype)
        amx = hl.full([tm, bn], float("-inf"), dtype=x.dtype)
        for tn in hl.tile(n, block_size=bn):
            acc += x[tm, tn]
            amx = torch.maximum(amx, torch.where(tn.index[None, :] < n, x[tm, tn], float("-inf")))
        total[tm] = acc.sum(-1)
        mx[tm] = amx.amax(-1)
        lane_mean[tm] = acc.mean(-1)
        best_lane[tm] = amx.argmax(-1)
    return total, mx, lane_mean, best_lane


def _lane_sums(x, bn):
    """What each of the bn accumulator lanes holds: the sum of the columns j with j % bn == lane."""
    n = x.size(1)
    padded = torch.zeros(x.size(0), -(-n // bn) * bn, dtype=torch.float64)
    padded[:, :n] = x.double()
    return padded.view(x.size(0), -1, bn).sum(1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8, 4]), C(block_sizes=[64, 8]), C(block_sizes=[512, 2]),
                                    C(block_sizes=[16, 1], num_warps=2)])
def test_register_block_size_accumulator_reduced_after_its_loop(device, config):
    x = -torch.rand(8, 300, device=device) - 1  # all negative: a masked lane's 0 would win the max
    regbs_row_stats.bind((x,)).set_config(config)
    total, mx, lane_mean, best_lane = regbs_row_stats(x)
    sync(device)
    bn = config.block_sizes[0]
    xc = x.cpu()
    torch.testing.assert_close(total.cpu().double(), xc.double().sum(-1), rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(mx.cpu(), xc.amax(-1))
    # the mean over the accumulator's bn lanes (lanes past n hold the loads' 0s)
    torch.testing.assert_close(lane_mean.cpu().double(), _lane_sums(xc, bn).mean(-1), rtol=1e-5, atol=1e-4)
    lane_max = torch.full((8, bn), float("-inf"), dtype=torch.float64)
    for j in range(min(bn, 300)):
        lane_max[:, j] = xc[:, j::bn].double().amax(-1)
    assert torch.equal(best_lane.cpu(), lane_max.argmax(-1))


@helion.kernel()
def regbs_sum_in_next_loop(x: torch.Tensor) -> torch.Tensor:
    """The reduction is the first op of a later loop's body (nothing else in that block yet)."""
    m, n = x.size()
    out = torch.empty([m, 4], dtype=x.dtype, device=x.device)
    bn = hl.register_block_size(n)
    for tm in hl.tile(m):
        acc = hl.zeros([tm, bn], dtype=x.dtype)
        for tn in hl.tile(n, block_size=bn):
            acc = acc + x[tm, tn]
        for tk in hl.tile(4):
            s = acc.sum(-1)
            out[tm, tk] = s[:, None] + tk.index[None, :].to(x.dtype)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16, 8, 4]), C(block_sizes=[128, 2, 2])])
def test_register_block_size_accumulator_reduced_in_a_later_loop(device, config):
    x = torch.randn(10, 100, device=device)
    regbs_sum_in_next_loop.bind((x,)).set_config(config)
    out = regbs_sum_in_next_loop(x)
    sync(device)
    ref = x.cpu().double().sum(-1)[:, None] + torch.arange(4, dtype=torch.float64)
    torch.testing.assert_close(out.cpu().double(), ref, rtol=1e-5, atol=1e-4)


# -- factories: new_* / torch.zeros / torch.full / *_like ----------------------------
@helion.kernel()
def new_factories(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    n = hl.specialize(n)
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm in hl.tile(m):
        zeros = w.new_zeros(n, dtype=torch.float32)  # a host tensor's method
        row = x[tm, :]
        ones = row.new_ones([tm, n])  # a device tensor's: its dtype (float16)
        twos = row.new_full((tm, n), 2.0, dtype=torch.float32)
        empty = row.new_empty(tm, n)
        threes = torch.full([tm, n], 3, dtype=torch.float32) + torch.zeros(n)[None, :]
        out[tm, :] = (row.float() + zeros[None, :] + ones.float() * twos + threes + empty.float() * 0
                      + torch.ones_like(row).float())
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[16], num_warps=2)])
def test_new_factories(device, config):
    x = torch.randn(10, 32, device=device, dtype=torch.float16)
    w = torch.randn(32, device=device)
    new_factories.bind((x, w)).set_config(config)
    out = new_factories(x, w)
    sync(device)
    torch.testing.assert_close(out.cpu(), x.cpu().float() + 6)


@helion.kernel()
def scalar_factories(starts: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    out = torch.empty_like(starts)
    other = torch.empty([starts.size(0)], dtype=torch.float32, device=starts.device)
    for i in hl.grid(starts.size(0)):
        s = starts[i]
        a = torch.minimum(s + 8, s.new_full([], n))
        b = torch.maximum(a, torch.full_like(s, 2))
        out[i] = b + torch.zeros_like(s) + s.new_zeros(())
        other[i] = torch.full_like(s, 0.5, dtype=torch.float32) + s.new_ones([], dtype=torch.float32) * s
    return out, other


@pytest.mark.parametrize("device", DEVICES)
def test_scalar_factories(device):
    s = torch.tensor([0, 5, 12, -9], dtype=torch.int32, device=device)
    out, other = scalar_factories(s, 10)
    sync(device)
    sc = s.cpu()
    assert out.dtype == torch.int32
    torch.testing.assert_close(out.cpu(), torch.clamp(torch.clamp(sc + 8, max=10), min=2))
    torch.testing.assert_close(other.cpu(), sc.float() + 0.5)


# -- stack, squeeze, expand ----------------------------------------------------------
@helion.kernel()
def stack_pairs(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out1 = torch.empty([a.size(0), 2], dtype=torch.float32, device=a.device)
    out0 = torch.empty([4, a.size(0)], dtype=torch.float32, device=a.device)
    for t in hl.tile(a.size(0)):
        out1[t, :] = torch.stack([a[t], b[t]], dim=-1)  # float32 with float16: promoted
        out0[:, t] = torch.stack((a[t], b[t].float() * 2, a[t] - 1, b[t].float()))
    return out1, out0


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[8]), C(block_sizes=[64]), C(block_sizes=[1])])
def test_stack(device, config):
    a = torch.randn(50, device=device)
    b = torch.randn(50, device=device, dtype=torch.float16)
    stack_pairs.bind((a, b)).set_config(config)
    out1, out0 = stack_pairs(a, b)
    sync(device)
    ac, bc = a.cpu(), b.cpu()
    torch.testing.assert_close(out1.cpu(), torch.stack([ac, bc], dim=-1))
    torch.testing.assert_close(out0.cpu(), torch.stack([ac, bc.float() * 2, ac - 1, bc.float()]))


@helion.kernel()
def stack_scalars(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0), 2], dtype=x.dtype, device=x.device)
    for i in hl.grid(x.size(0)):
        v = x[i]
        out[i, :] = torch.stack([v, v * 3])
    return out


def test_stack_of_device_scalars():
    x = torch.randn(7)
    torch.testing.assert_close(stack_scalars(x), torch.stack([x, x * 3], dim=1))


@helion.kernel()
def gather_squeezed(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    out = torch.empty([idx.size(0)], dtype=x.dtype, device=x.device)
    for t in hl.tile(idx.size(0)):
        i = idx[t]
        row = x[i.squeeze(0)]  # a tile dim: kept, as torch keeps a dim that is not 1
        out[t] = row[:, None].squeeze(1).squeeze(-1)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[16]), C(block_sizes=[1]), C(block_sizes=[128])])
def test_squeeze_of_a_tile_dim_keeps_it(device, config):
    x = torch.randn(50, device=device)
    idx = torch.randint(0, 50, (64,), dtype=torch.int32, device=device)
    gather_squeezed.bind((x, idx)).set_config(config)
    out = gather_squeezed(x, idx)
    sync(device)
    torch.testing.assert_close(out.cpu(), x.cpu()[idx.cpu().long()])


@helion.kernel()
def expanded(x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out = torch.empty_like(x)
    out2 = torch.empty([x.size(0), 2, x.size(1)], dtype=x.dtype, device=x.device)
    for tm, tn in hl.tile(x.size()):
        row = v[tm].unsqueeze(1)
        out[tm, tn] = row.expand_as(x[tm, tn]) + x[tm, tn]
        out2[tm, :, tn] = row.expand(-1, tn).expand(2, -1, -1).permute(1, 0, 2)
    return out, out2


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4, 8]), C(block_sizes=[16, 32]), C(block_sizes=[1, 2])])
def test_expand_and_expand_as(device, config):
    x = torch.randn(16, 40, device=device)
    v = torch.randn(16, device=device)
    expanded.bind((x, v)).set_config(config)
    out, out2 = expanded(x, v)
    sync(device)
    xc, vc = x.cpu(), v.cpu()
    torch.testing.assert_close(out.cpu(), vc[:, None].expand_as(xc) + xc)
    torch.testing.assert_close(out2.cpu(), vc[:, None, None].expand(16, 2, 40))


# -- sm_90 -----------------------------------------------------------------------------
def test_tensor_methods_compile_for_sm90(compile_case_sm90):
    x = torch.randn(8, 300)
    cases = ((regbs_row_stats, (x,), C(block_sizes=[64, 8])),
             (regbs_sum_in_next_loop, (torch.randn(10, 100),), C(block_sizes=[16, 8, 4])),
             (new_factories, (torch.randn(10, 32, dtype=torch.float16), torch.randn(32)), C(block_sizes=[4])),
             (scalar_factories, (torch.tensor([0, 5, 12], dtype=torch.int32), 10), C()),
             (stack_pairs, (torch.randn(50), torch.randn(50, dtype=torch.float16)), C(block_sizes=[16])),
             (gather_squeezed, (torch.randn(50), torch.randint(0, 50, (64,), dtype=torch.int32)), C(block_sizes=[16])),
             (expanded, (torch.randn(16, 40), torch.randn(16)), C(block_sizes=[4, 8])))
    for kernel, args, config in cases:
        _, ck, _ = compile_case_sm90(kernel, args, config)
        assert len(ck.asm["cubin"]) > 1000


# -- errors at the user's line --------------------------------------------------------
@helion.kernel()
def stack_three(a: torch.Tensor) -> torch.Tensor:
    out = torch.empty([a.size(0), 4], dtype=a.dtype, device=a.device)
    for t in hl.tile(a.size(0)):
        out[t, 0:3] = torch.stack([a[t], a[t], a[t]], dim=1)  # marker: three
    return out


@helion.kernel()
def stack_mismatched(a: torch.Tensor) -> torch.Tensor:
    out = torch.empty([a.size(0), 2], dtype=a.dtype, device=a.device)
    for t in hl.tile(a.size(0)):
        out[t, :] = torch.stack([a[t], a[t][:, None]], dim=1)  # marker: mismatched
    return out


@helion.kernel()
def expand_non_unit(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = x[tm, tn][:, :, None].expand(tm, tn, 2).sum(-1)  # ok
        out[tm, tn] = x[tm, :].expand_as(x[tm, tn])  # marker: non-unit
    return out


@helion.kernel()
def new_full_tensor_value(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t].new_full([t], x[t])  # marker: tensor value
    return out


@helion.kernel()
def new_zeros_bad_keyword(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t] + x[t].new_zeros([t], names=None)  # marker: keyword
    return out


@pytest.mark.parametrize("kernel, args, error, marker, words", [
    (stack_three, (torch.randn(8),), exc.NotSupported, "marker: three", "power-of-two"),
    (stack_mismatched, (torch.randn(8),), exc.TypeError_, "marker: mismatched", "one shape"),
    (expand_non_unit, (torch.randn(8, 24),), exc.TypeError_, "marker: non-unit", "only dims of size 1 grow"),
    (new_full_tensor_value, (torch.randn(8),), exc.TypeError_, "marker: tensor value", "fill value"),
    (new_zeros_bad_keyword, (torch.randn(8),), exc.NotSupported, "marker: keyword", "names"),
])
def test_bad_calls_fail_at_their_line(kernel, args, error, marker, words):
    with pytest.raises(error) as info:
        kernel.bind(args)
    assert f":{line_of(kernel.fn, marker)}" in str(info.value)
    assert words in str(info.value)
