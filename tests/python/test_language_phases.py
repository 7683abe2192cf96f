"""Several top-level device loops in one kernel (phases) and hl.barrier:
each loop is compiled as its own kernel and launched in program order, so a
loop reads what the loops before it wrote; host code between loops runs
between the launches. The user's Config lists the loops' per-slot entries
one loop after another; kernel-wide fields are one value or one per loop.
Numerics against torch on the CPU executor and (marker gpu) on CUDA, sm_90
compiles of each phase, and the errors of what is refused at the user's line."""
import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from helion.runtime import phases
from language_helpers import DEVICES, line_of, sync

C = helion.Config
HERE = __file__


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _fresh(kernel, config=None):
    """The kernel's function as a new kernel (its own specializations) with `config`."""
    return helion.kernel(kernel.fn, config=config)


@helion.kernel()
def two_phase(x: torch.Tensor) -> torch.Tensor:
    partial = torch.empty([x.size(0)], device=x.device, dtype=torch.float32)
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        partial[t] = x[t, :].float().sum(-1)
    hl.barrier()
    for t in hl.tile(x.size(0)):
        out[t, :] = x[t, :] / partial[t][:, None]  # reads what the first loop wrote
    return out


@helion.kernel()
def three_phases(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Row maxima; host code scales them; rows divided by the global max;
    then the column sums of that result (another loop over another dim)."""
    m, n = x.size()
    rowmax = torch.empty([m], device=x.device, dtype=torch.float32)
    for t in hl.tile(m):
        rowmax[t] = x[t, :].abs().amax(-1)
    hl.barrier()
    gmax = rowmax.amax().reshape(1) * 2.0  # host code between launches (a torch op on the kernel's device)
    out = torch.empty_like(x)
    for t in hl.tile(m):
        out[t, :] = x[t, :] / gmax[0]
    colsum = torch.empty([n], device=x.device, dtype=torch.float32)
    for tn in hl.tile(n):
        colsum[tn] = out[:, tn].sum(0)
    return out, colsum, gmax


def _three_ref(x):
    g = x.abs().amax() * 2
    return x / g, (x / g).sum(0), g.reshape(1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [None, C(block_sizes=[8, 32]), C(block_sizes=[64, 4], num_warps=[4, 8])])
def test_two_phases(device, config):
    k = _fresh(two_phase, config)
    x = torch.rand(100, 48, device=device) + 0.1
    for _ in range(2):  # the second call takes each phase's fast launch path
        out = k(x)
        sync(device)
        torch.testing.assert_close(out, x / x.sum(-1, keepdim=True))
    x2 = torch.rand(37, 20, device=device) + 0.1  # a new specialization of both phases
    torch.testing.assert_close(k(x2), x2 / x2.sum(-1, keepdim=True))


@pytest.mark.parametrize("device", DEVICES)
def test_three_phases_with_host_code_between(device):
    k = _fresh(three_phases, C(block_sizes=[16, 8, 32], reduction_loops=[None, None, 16]))
    x = torch.randn(50, 70, device=device)
    out, colsum, g = k(x)
    sync(device)
    ref = _three_ref(x)
    torch.testing.assert_close(out, ref[0])
    torch.testing.assert_close(colsum, ref[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(g, ref[2])


def test_config_is_split_per_phase():
    """block_sizes [8, 32]: 13 programs of 8 rows, then 4 of 32; num_warps
    one per loop. The bound kernel's TTIR shows each loop's block."""
    k = _fresh(two_phase, C(block_sizes=[8, 32], num_warps=[2, 8]))
    x = torch.rand(100, 48) + 0.1
    k(x)
    bound = k.bind((x,))
    entries = [b.spec.best for b in bound.phases]
    assert [e.ttir.num_programs for e in entries] == [13, 4]
    assert [e.config.block_sizes for e in entries] == [[8], [32]]
    assert [e.config.num_warps for e in entries] == [2, 8]
    code = bound.to_triton_code(C(block_sizes=[4, 64]))
    first, second = code.split("// device loop 1")
    assert "tensor<4x64xf32>" in first and "tensor<64x64xf32>" not in first
    assert "tensor<64x64xf32>" in second and "tensor<4x64xf32>" not in second
    # One GPU kernel per loop, named apart for profiles.
    assert "tile.kernel @two_phase_0" in bound.tile_ir and "tile.kernel @two_phase_1" in bound.tile_ir


def test_bound_kernel_config_round_trip():
    x = torch.rand(40, 16) + 0.1
    bound = _fresh(two_phase).bind((x,))
    default = bound.default_config()
    assert len(default.block_sizes) == 2 and len(default.reduction_loops) == 2
    parts = bound.phase_configs(C(block_sizes=[16, 8], num_warps=[4, 2], indexing="pointer"))
    assert [p.block_sizes for p in parts] == [[16], [8]] and [p.num_warps for p in parts] == [4, 2]
    assert all(p.indexing == "pointer" for p in parts)
    normalized = [b.config_spec.normalize(p) for b, p in zip(bound.phases, parts)]
    counts = [phases.slot_counts(b.config_spec) for b in bound.phases]
    combined = phases.combine(normalized, counts, "two_phase")
    assert combined.block_sizes == [16, 8] and combined.num_warps == [4, 2] and combined.num_stages == 2
    assert bound.phase_configs(combined) == normalized
    bound.set_config(combined)
    torch.testing.assert_close(bound(x), x / x.sum(-1, keepdim=True))
    with pytest.raises(exc.NotSupported, match=r"2 device loops, each with its own ConfigSpec: use bound.phases\[i\]"):
        bound.config_spec


def test_autotune_on_cpu_returns_the_whole_kernels_config():
    k = _fresh(two_phase)
    x = torch.rand(64, 32) + 0.1
    best = k.autotune((x,), effort="quick")
    assert len(best.block_sizes) == 2 and len(best.l2_groupings) == 2
    torch.testing.assert_close(k(x), x / x.sum(-1, keepdim=True))
    pasted = _fresh(two_phase, best)  # the returned Config pastes back as config=
    torch.testing.assert_close(pasted(x), x / x.sum(-1, keepdim=True))


@pytest.mark.gpu
def test_gpu_tuning_tunes_each_loop_and_prints_the_whole_kernels_config(capsys):
    k = helion.kernel(two_phase.fn, autotune_effort="quick", autotune_skip_cache=True)
    x = torch.rand(512, 256, device="cuda") + 0.1
    torch.testing.assert_close(k(x), x / x.sum(-1, keepdim=True))  # the first call tunes loop 0, then loop 1
    hints = [line.strip() for line in capsys.readouterr().err.splitlines() if line.strip().startswith("@helion.kernel(config=")]
    assert len(hints) == 1, hints  # once, when the last loop is tuned
    pasted = eval(hints[0].removeprefix("@helion.kernel(config=")[:-1], {"helion": helion})  # noqa: S307
    assert len(pasted.block_sizes) == 2 and len(pasted.reduction_loops) == 2
    torch.testing.assert_close(_fresh(two_phase, pasted)(x), x / x.sum(-1, keepdim=True))


@pytest.mark.parametrize("config,match", [
    (C(block_sizes=[16]), r"Config.block_sizes has 1 entries; its device loops take 1, 1 in loop order \(device loop 1 "
                          r"takes entries 1..1\)"),
    (C(block_sizes=[16, 16, 16]), r"Config.block_sizes has 3 entries; its device loops take 1, 1 in loop order"),
    (C(num_warps=[4, 4, 4]), r"Config.num_warps = \[4, 4, 4\]: a kernel-wide field is one value, or a list of one "
                             r"value per device loop \(2\)"),
    (C(block_sizes=[16, 3]), r"two_phase: Config.block_sizes\[0\] = 3 is not legal"),
])
def test_bad_configs_name_the_field(config, match):
    with pytest.raises(exc.InvalidConfig, match=match):
        _fresh(two_phase, config)(torch.rand(20, 8) + 0.1)


# ------------------------------------------------------------------ sm_90
@pytest.mark.parametrize("kernel,args,config", [
    (two_phase, (torch.rand(100, 48),), C(block_sizes=[8, 32], num_warps=[2, 8])),
    (three_phases, (torch.randn(50, 70),), C(block_sizes=[16, 8, 32], reduction_loops=[None, None, 16])),
], ids=["two_phase", "three_phases"])
def test_each_phase_compiles_for_sm90(kernel, args, config, tmp_path, monkeypatch):
    from triton.backends.compiler import GPUTarget

    from helion.compiler import pipeline

    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))
    bound = _fresh(kernel).bind(args)
    for b, part in zip(bound.phases, bound.phase_configs(config)):
        part = b.config_spec.normalize(part)
        ttir = pipeline.lower_to_ttir(b.spec.traced, part)
        ck = pipeline.compile_ttir(ttir, part, target=GPUTarget("cuda", 90, 32))
        assert len(ck.asm["cubin"]) > 1000 and ck.metadata.num_warps == part.num_warps


# ------------------------------------------------------------------ errors
def test_barrier_outside_a_kernel():
    with pytest.raises(exc.NotInsideKernel, match=r"hl.barrier\(\) can only be used inside"):
        hl.barrier()


def _barrier_before_loops(x):
    out = torch.empty_like(x)
    hl.barrier()  # MARK
    for t in hl.tile(x.size(0)):
        out[t] = x[t]
    return out


def _barrier_with_argument(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t]
    hl.barrier(out)  # MARK
    for t in hl.tile(x.size(0)):
        out[t] = out[t] + 1
    return out


def _barrier_in_host_if(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t]
    if x.size(0) > 1:
        hl.barrier()  # MARK
    for t in hl.tile(x.size(0)):
        out[t] = out[t] + 1
    return out


@pytest.mark.parametrize("fn", [_barrier_before_loops, _barrier_with_argument, _barrier_in_host_if])
def test_misplaced_barrier(fn):
    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(fn, '# MARK')}: hl.barrier\(\) takes no arguments and "
                                               "must be a statement of its own at the kernel's top level, between two "
                                               "device loops"):
        helion.kernel(fn)


def test_barrier_in_a_device_loop():
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        for t in hl.tile(x.size(0)):  # LOOP
            hl.barrier()  # MARK
            out[t] = out[t] + 1
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(k, '# MARK')}: hl.barrier\(\) inside the device loop "
                                               rf"of line {line_of(k, '# LOOP')}"):
        helion.kernel(k)


def test_second_loop_in_host_control_flow_still_errors():
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        if x.size(0) > 4:
            for t in hl.tile(x.size(0)):  # MARK
                out[t] = out[t] + 1
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(k, '# MARK')}: the device loop is inside an `if`"):
        helion.kernel(k)


def test_device_value_of_an_earlier_loop():
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):  # FIRST
            v = x[t] * 2
            out[t] = v
        for t in hl.tile(x.size(0)):  # MARK
            out[t] = v + out[t]
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(k, '# MARK')}: the device loop reads 'v', a variable "
                                               rf"of the device loop of line {line_of(k, '# FIRST')}"):
        helion.kernel(k)


def test_host_registered_block_size_is_refused():
    def k(x):
        bs = hl.register_block_size(x.size(0))  # MARK
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0), block_size=bs):
            out[t] = x[t]
        for t in hl.tile(x.size(0)):
            out[t] = out[t] + 1
        return out

    with pytest.raises(exc.NotSupported, match=rf"{HERE}:{line_of(k, '# MARK')}: hl.register_block_size\(\) in the host "
                                               "code of a kernel with several device loops is not supported yet"):
        helion.kernel(k)


def test_combine_refuses_a_field_set_for_some_loops_only():
    with pytest.raises(exc.NotSupported, match="Config.flatten_loops is set for some device loops and left to the "
                                               "compiler for others"):
        phases.combine([C(flatten_loops=[True]), C()], [{"flatten_loops": 1}, {"flatten_loops": 1}], "k")
    merged = phases.combine([C(indexing="block_ptr", num_stages=3), C(num_stages=3)],
                            [{"indexing": 2}, {"indexing": 1}], "k")
    assert merged.indexing == ["block_ptr", "block_ptr", "pointer"] and merged.num_stages == 3
