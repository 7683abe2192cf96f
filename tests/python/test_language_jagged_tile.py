"""hl.jagged_tile(parent): a tile loop inside enclosing tiles whose end
differs per lane. `parent` holds each enclosing lane's end; the loop runs to
the largest, and loads, stores and reductions that use the child tile with
the parent's tiles are masked per lane. Numerics against float64 torch on
the CPU executor and (marker gpu) on CUDA, with random lengths, an empty row
and negative data (a reduction that let masked lanes in would see their 0);
stores past a lane's end must leave the poisoned output alone; sm_90
compiles through Triton; errors at the user's line. examples/jagged.py's
jagged_layer_norm runs in test_examples.py."""

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from language_helpers import DEVICES, line_of, sync

C = helion.Config
POISON = 1234.5


def _lengths(rows: int, max_len: int, device) -> torch.Tensor:
    lengths = torch.randint(1, max_len + 1, (rows,), device=device)
    lengths[rows // 3] = 0
    return lengths


@helion.kernel()
def padded_row_max(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The max of each row's first lengths[i] elements (-inf for an empty row):
    the child tile indexes x directly beside the parent tile."""
    out = torch.empty([x.size(0)], dtype=torch.float32, device=x.device)
    for tb in hl.tile(x.size(0)):
        lens = lengths[tb]
        mx = hl.full([tb], float("-inf"), dtype=torch.float32)
        for tk in hl.jagged_tile(lens):
            mx = torch.maximum(mx, x[tb, tk].float().amax(dim=1))
        out[tb] = mx
    return out


def padded_row_max_reference(x, lengths):
    x = x.cpu()
    return torch.stack([x[i, :n].double().amax() if n else torch.tensor(float("-inf"), dtype=torch.float64)
                        for i, n in enumerate(lengths.tolist())])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4, 8]), C(block_sizes=[1, 32]), C(block_sizes=[16, 4], num_warps=2),
                                    C(block_sizes=[8, 16], range_unroll_factors=[0, 2])])
def test_row_max_masks_each_lane_at_its_length(device, config):
    x = -torch.rand(21, 50, device=device) - 1  # all negative: a masked lane's 0 would win the max
    lengths = _lengths(21, 50, device)
    padded_row_max.bind((x, lengths)).set_config(config)
    out = padded_row_max(x, lengths)
    sync(device)
    torch.testing.assert_close(out.double().cpu(), padded_row_max_reference(x, lengths))


@helion.kernel()
def grid_2d_row_sums(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A 2-d parent: ends per (i, j) lane of a 2-d tile."""
    out = torch.empty(lengths.shape, dtype=torch.float32, device=x.device)
    for ti, tj in hl.tile(lengths.shape):
        acc = hl.zeros([ti, tj], dtype=torch.float32)
        for tk in hl.jagged_tile(lengths[ti, tj]):
            acc = acc + x[ti, tj, tk].sum(dim=2)
        out[ti, tj] = acc
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[2, 4, 8]), C(block_sizes=[8, 1, 16], loop_orders=[[1, 0]])])
def test_two_dim_parent(device, config):
    x = torch.randn(7, 6, 33, device=device)
    lengths = torch.randint(0, 34, (7, 6), device=device)
    grid_2d_row_sums.bind((x, lengths)).set_config(config)
    out = grid_2d_row_sums(x, lengths)
    sync(device)
    ref = torch.tensor([[x[i, j, :n].double().sum().item() for j, n in enumerate(row)]
                        for i, row in enumerate(lengths.tolist())], dtype=torch.float64)
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-4, rtol=1e-4)


@helion.kernel()
def packed_softmax(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Softmax over each packed segment, per column, through flat gather
    indices built from the child tile's index; the output starts poisoned."""
    m = x.size(1)
    out = torch.full_like(x, POISON)
    xf, of = x.view(-1), out.view(-1)
    for tb in hl.tile(offsets.size(0) - 1):
        starts = offsets[tb]
        lens = offsets[tb.index + 1] - starts
        for tm in hl.tile(m):
            mx = hl.full([tb, tm], float("-inf"), dtype=torch.float32)
            den = hl.zeros([tb, tm], dtype=torch.float32)
            for tk in hl.jagged_tile(lens):
                idx = (starts[:, None] + tk.index[None, :])[:, :, None] * m + tm.index[None, None, :]
                v = hl.load(xf, [idx])
                new_mx = torch.maximum(mx, v.amax(dim=1))
                den = den * torch.exp(mx - new_mx) + torch.exp(v - new_mx[:, None, :]).sum(dim=1)
                mx = new_mx
            for tk in hl.jagged_tile(lens):
                idx = (starts[:, None] + tk.index[None, :])[:, :, None] * m + tm.index[None, None, :]
                hl.store(of, [idx], torch.exp(hl.load(xf, [idx]) - mx[:, None, :]) / den[:, None, :])
    return out


def _offsets(lengths):
    return torch.cat([torch.zeros(1, dtype=torch.int64, device=lengths.device), lengths.cumsum(0)])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4, 8, 8, 8]), C(block_sizes=[2, 4, 32, 16], num_warps=2),
                                    C(block_sizes=[8, 16, 4, 4])])
def test_packed_segment_softmax(device, config):
    lengths = _lengths(11, 40, device)
    offsets = _offsets(lengths)
    x = torch.randn(int(offsets[-1]), 12, device=device) * 3 - 5
    packed_softmax.bind((x, offsets)).set_config(config)
    out = packed_softmax(x, offsets)
    sync(device)
    ref = torch.cat([torch.softmax(x[a:b].double(), 0) for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())])
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-4)


@helion.kernel()
def nested_jagged_mean(x: torch.Tensor, offsets: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """Mean over each row's positions of its first features[i] columns: a
    jagged column tile whose stores stop at each row's feature count (the
    rest of the poisoned output stays), and a jagged position tile inside
    it. torch.mean's count is per lane."""
    max_m = x.size(1)
    out = torch.full([offsets.size(0) - 1, max_m], POISON, dtype=torch.float32, device=x.device)
    for tb in hl.tile(offsets.size(0) - 1):
        starts = offsets[tb]
        lens = offsets[tb.index + 1] - starts
        for tm in hl.jagged_tile(features[tb]):
            acc = hl.zeros([tb, tm], dtype=torch.float32)
            for tk in hl.jagged_tile(lens):
                acc = acc + x[starts[:, None] + tk.index[None, :], tm].sum(dim=1)
            out[tb, tm] = torch.where(lens[:, None] > 0, acc / lens[:, None].float(), 0.0)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4, 8, 8]), C(block_sizes=[1, 16, 32]), C(block_sizes=[8, 4, 4], num_warps=8)])
def test_nested_jagged_tiles_store_per_lane(device, config):
    lengths = _lengths(9, 30, device)
    offsets = _offsets(lengths)
    x = torch.randn(int(offsets[-1]), 20, device=device)
    features = torch.randint(0, 21, (9,), device=device)
    nested_jagged_mean.bind((x, offsets, features)).set_config(config)
    out = nested_jagged_mean(x, offsets, features)
    sync(device)
    ref = torch.full((9, 20), POISON, dtype=torch.float64)
    for i, (a, b, f) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist(), features.tolist())):
        ref[i, :f] = x[a:b, :f].double().mean(0) if b > a else 0.0
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-5, rtol=1e-5)


@helion.kernel()
def masked_mean_var(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """torch.mean / torch.var over the child dim count each lane's own elements."""
    out = torch.empty([x.size(0), 2], dtype=torch.float32, device=x.device)
    for tb in hl.tile(x.size(0)):
        for tk in hl.jagged_tile(lengths[tb]):  # one tile covers the row: block_size >= its width
            v = x[tb, tk].float()
            out[tb, 0] = v.mean(dim=1)
            out[tb, 1] = v.var(dim=1)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_mean_and_var_count_each_lanes_elements(device):
    x = torch.randn(13, 32, device=device)
    lengths = torch.randint(2, 33, (13,), device=device)
    masked_mean_var.bind((x, lengths)).set_config(C(block_sizes=[4, 32]))
    out = masked_mean_var(x, lengths)
    sync(device)
    ref = torch.stack([torch.stack([x[i, :n].double().mean(), x[i, :n].double().var()])
                       for i, n in enumerate(lengths.tolist())]).cpu()
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-5, rtol=1e-5)


def test_jagged_tiles_compile_for_sm90(compile_case_sm90):
    lengths = _lengths(11, 40, "cpu")
    offsets = _offsets(lengths)
    x = torch.randn(int(offsets[-1]), 12)
    cases = ((padded_row_max, (torch.randn(21, 50), _lengths(21, 50, "cpu")), C(block_sizes=[4, 16])),
             (grid_2d_row_sums, (torch.randn(7, 6, 33), torch.randint(0, 34, (7, 6))), C(block_sizes=[2, 4, 8])),
             (packed_softmax, (x, offsets), C(block_sizes=[4, 8, 8, 8])),
             (nested_jagged_mean, (x, offsets, torch.randint(0, 13, (11,))), C(block_sizes=[4, 8, 8])))
    for kernel, args, config in cases:
        ttir, ck, _ = compile_case_sm90(kernel, args, config)
        assert len(ck.asm["cubin"]) > 1000
        assert '"scf.for"' in ttir.text


# ------------------------------------------------------------------ errors
def _k_outermost(x, lengths):
    out = torch.zeros_like(x)
    for tk in hl.jagged_tile(lengths):  # BAD
        out[tk] = x[tk]
    return out


def _k_scalar_parent(x, lengths):
    out = torch.zeros_like(x)
    for tb in hl.tile(x.size(0)):
        for tk in hl.jagged_tile(x.size(1)):  # BAD
            out[tb, tk] = x[tb, tk]
    return out


def _k_float_parent(x, lengths):
    out = torch.zeros_like(x)
    for tb in hl.tile(x.size(0)):
        for tk in hl.jagged_tile(x[tb, 0:4].sum(1)):  # BAD
            out[tb, tk] = x[tb, tk]
    return out


def _k_without_parent_dims(x, lengths):
    out = torch.zeros_like(x)
    for tb in hl.tile(x.size(0)):
        for tk in hl.jagged_tile(lengths[tb]):
            out[0, tk] = x[0, tk]  # BAD
    return out


def _k_parent_not_from_tiles(x, lengths):
    out = torch.zeros_like(x)
    for tb in hl.tile(x.size(0)):
        for tk in hl.jagged_tile(lengths[0:4]):  # BAD
            out[tb, tk] = x[tb, tk]
    return out


BAD = [
    (_k_outermost, exc.NotSupported, r"hl.jagged_tile cannot be the outermost loop"),
    (_k_scalar_parent, exc.TypeError_, r"hl.jagged_tile\(\) needs a device tensor of per-lane ends .*got int; for one "
                                       r"bound shared by all lanes use hl.tile\(end\)"),
    (_k_float_parent, exc.TypeError_, r"hl.jagged_tile\(\) ends must be integers, got torch.float32"),
    (_k_without_parent_dims, exc.TypeError_, r"uses a hl.jagged_tile dim \(block1\) without the dims \[block0\] of its "
                                             r"ends' tiles"),
    (_k_parent_not_from_tiles, exc.TypeError_, r"every dim must be a tile of an enclosing loop"),
]


@pytest.mark.parametrize("fn,err,match", [pytest.param(*case, id=case[0].__name__[3:]) for case in BAD])
def test_bad_jagged_tile_names_the_problem_and_the_line(fn, err, match):
    kernel = helion.kernel(fn, config=C(block_sizes=[4, 8]))
    with pytest.raises(err, match=match) as info:
        kernel(torch.randn(8, 16), torch.randint(0, 17, (8,)))
    assert info.value.location.endswith(f":{line_of(fn, '# BAD')}"), info.value.location
