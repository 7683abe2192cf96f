"""Config.indexing: "pointer", "block_ptr" or "tensor_descriptor" (Hopper
TMA), one value for all loads and stores or one per access in program order.
Numerics on the CPU executor (descriptors read zeros past the tensor's edge,
as TMA does) and the GPU, sm_90 compiles, the fallback to pointers with one
warning saying why, and refusals of bad values."""
import re
import warnings

import pytest
import torch

import helion
import helion.language as hl
from matmul import readme_matmul

KINDS = ["pointer", "block_ptr", "tensor_descriptor"]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def _args(device, m=100, k=48, n=72, dtype=torch.bfloat16):
    return torch.randn(m, k, device=device, dtype=dtype), torch.randn(k, n, device=device, dtype=dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("indexing", KINDS + [["tensor_descriptor", "block_ptr", "pointer"]])
@pytest.mark.parametrize("pid_type", ["flat", "persistent_interleaved"])
def test_matmul_matches_torch(device, indexing, pid_type, poison_empty):
    x, y = _args(device)  # 100 x 72 in 32 x 32 tiles: partial tiles at the edges
    readme_matmul.bind((x, y)).set_config(helion.Config(block_sizes=[32, 32, 16], indexing=indexing, pid_type=pid_type))
    poison_empty()
    torch.testing.assert_close(readme_matmul(x, y).double(), x.double() @ y.double(), atol=0.1, rtol=0.02)


def test_ttir_uses_descriptors_made_once_at_entry():
    bound = readme_matmul.bind(_args("cpu"))
    ttir = bound.to_triton_code(helion.Config(block_sizes=[32, 32, 16], indexing="tensor_descriptor"))
    makes = [m.start() for m in re.finditer(r'"tt.make_tensor_descriptor"', ttir)]
    assert len(makes) == 3 and max(makes) < ttir.index("scf.for")  # x, y, out: before the K loop
    assert ttir.count('"tt.descriptor_load"') == 2 and ttir.count('"tt.descriptor_store"') == 1
    assert '"tt.load"' not in ttir


def test_per_access_entries_in_program_order():
    """readme_matmul's accesses: load x, load y (in the K loop), store out."""
    bound = readme_matmul.bind(_args("cpu"))
    ttir = bound.to_triton_code(helion.Config(block_sizes=[32, 32, 16], indexing=["block_ptr", "pointer", "tensor_descriptor"]))
    assert ttir.count('"tt.make_tensor_ptr"') == 1 and ttir.count('"tt.make_tensor_descriptor"') == 1
    assert '"tt.descriptor_store"' in ttir


@pytest.mark.parametrize("indexing", ["block_ptr", "tensor_descriptor"])
def test_compiles_for_sm90(indexing, compile_case_sm90):
    args = _args("cpu", 256, 128, 256)
    cfg = helion.Config(block_sizes=[64, 64, 32], indexing=indexing, pid_type="persistent_blocked")
    _, compiled, _ = compile_case_sm90(readme_matmul, args, cfg)
    assert compiled.asm["cubin"]


@helion.kernel()
def _copy_rows(x: torch.Tensor, stop: int) -> torch.Tensor:
    out = torch.zeros_like(x)
    for t in hl.tile(0, stop):
        out[t, :] = x[t, :] * 2
    return out


@pytest.mark.parametrize("case,why", [
    ("transposed", "its last dim is not contiguous"),
    ("sub_range", "a tile of it ends before the tensor does"),
])
def test_illegal_block_accesses_fall_back_with_one_warning(case, why):
    if case == "transposed":
        x, y = _args("cpu")
        args, kernel, cfg = (x.t().contiguous().t(), y), readme_matmul, helion.Config(block_sizes=[32, 32, 16])
        ref = x.double() @ y.double()
    else:
        x = torch.randn(64, 32)
        args, kernel, cfg = (x, 54), _copy_rows, helion.Config(block_sizes=[16])
        ref = torch.cat([x[:54] * 2, torch.zeros(10, 32)]).double()
    cfg = helion.Config(**cfg.config, indexing="tensor_descriptor")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        kernel.bind(args).set_config(cfg)
        out = kernel(*args)
        kernel(*args)  # once per kernel and reason
    torch.testing.assert_close(out.double(), ref, atol=0.1, rtol=0.02)
    notes = [str(w.message) for w in seen if "uses pointers, not tensor_descriptor" in str(w.message)]
    assert len(notes) == 1 and why in notes[0], notes


@pytest.mark.parametrize("indexing,match", [
    ("tma", r"indexing = 'tma' is not legal; expected one of 'pointer', 'block_ptr', 'tensor_descriptor'"),
    (["pointer"], r"indexing has 1 entries, this kernel needs 3"),
    (["pointer", "pointer", "texture"], r"indexing\[2\] = 'texture' is not legal"),
])
def test_bad_values_are_refused(indexing, match):
    bound = readme_matmul.bind(_args("cpu"))
    with pytest.raises(helion.exc.InvalidConfig, match=match):
        bound.to_triton_code(helion.Config(block_sizes=[32, 32, 16], indexing=indexing))


@pytest.mark.gpu
@pytest.mark.parametrize("block_n,stages", [(64, 3), (128, 3), (128, 2), (128, 1)])
@pytest.mark.parametrize("tma", ["all", "q", "k", "v", "out"])
def test_attention_with_descriptors_matches_sdpa(block_n, stages, tma):
    """Flash attention (bf16, head dim 128) with TMA on every access or on one
    of them (q, k, v loads, the out store): an H200 run gave wrong numbers
    with 128-row k/v descriptor tiles inside the pipelined loop."""
    from attention import attention

    q, k, v = (torch.randn(2, 512, 128, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    indexing = "tensor_descriptor" if tma == "all" else \
        ["tensor_descriptor" if a == tma else "pointer" for a in ("q", "k", "v", "out")]
    attention.bind((q, k, v, False)).set_config(helion.Config(block_sizes=[128, block_n], num_warps=8,
                                                              num_stages=stages, indexing=indexing))
    ref = torch.nn.functional.scaled_dot_product_attention(q[None].float(), k[None].float(), v[None].float())[0]
    torch.testing.assert_close(attention(q, k, v, False).float(), ref, atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("block_n,fallbacks", [(128, 2), (64, 0)])
def test_large_loop_boxes_use_pointers(block_n, fallbacks):
    """128-row key/value boxes of 256-byte rows in the loop use pointers (see
    the GPU test above); q and out, outside the loop, and 64-row boxes keep TMA."""
    from attention import attention

    q = torch.randn(1, 256, 128, dtype=torch.bfloat16)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ttir = attention.bind((q, q, q, False)).to_triton_code(
            helion.Config(block_sizes=[128, block_n], indexing="tensor_descriptor"))
    notes = " ".join(str(w.message) for w in seen)
    assert notes.count("a box of 128+ rows of 256+ bytes loaded in a loop") == fallbacks, notes
    assert ttir.count('"tt.descriptor_load"') == 3 - fallbacks and ttir.count('"tt.descriptor_store"') == 1
