"""Corrupt on-disk cache entries, ours (TTIR files named by their hash) and
Triton's (TRITON_CACHE_DIR), cost a recompile and one warning, never a
failure. Compiles for sm_90 on this CPU-only machine."""
import glob
import os
import warnings

import pytest
import torch
from triton.backends.compiler import GPUTarget

import helion
import helion.language as hl
from helion.compiler import disk_cache, pipeline

SM90 = GPUTarget("cuda", 90, 32)


@helion.kernel(config=helion.Config(block_sizes=[128]))
def scale(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t] * 3.0
    return out


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Fresh HELION_CACHE_DIR and TRITON_CACHE_DIR; returns (ours, triton's)."""
    ours, theirs = tmp_path / "helion", tmp_path / "triton"
    monkeypatch.setenv("HELION_CACHE_DIR", str(ours))
    monkeypatch.setenv("TRITON_CACHE_DIR", str(theirs))
    return ours, theirs


def _ttir(n=1000):
    config = helion.Config(block_sizes=[128])
    text = scale.bind((torch.randn(n),)).to_triton_code(config)
    return pipeline.TTIRResult(text, (8, 1, 1), "scale"), config


def _compile(ttir, config):
    ck = pipeline.compile_ttir(ttir, config, target=SM90)
    assert disk_cache.cubin_is_complete(ck.asm["cubin"])
    return ck


def _compile_warns(ttir, config, match):
    with pytest.warns(helion.exc.CacheWarning, match=match) as record:
        ck = _compile(ttir, config)
    assert len([w for w in record if issubclass(w.category, helion.exc.CacheWarning)]) == 1
    return ck


def _compile_quietly(ttir, config):
    with warnings.catch_warnings():
        warnings.simplefilter("error", helion.exc.CacheWarning)
        return _compile(ttir, config)


def _our_entry(ours):
    (path,) = glob.glob(str(ours / "scale_*.ttir"))
    return path


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_corrupt_ttir_entry_is_rewritten(caches, damage):
    ours, _ = caches
    ttir, config = _ttir()
    _compile_quietly(ttir, config)
    path = _our_entry(ours)
    good = open(path).read()
    with open(path, "w") as f:
        f.write({"empty": "", "truncated": good[: len(good) // 2], "garbage": good.replace("tt.", "xx.")}[damage])
    _compile_warns(ttir, config, "corrupt cache entry")
    assert open(path).read() == good
    _compile_quietly(ttir, config)  # repaired: no second warning


def test_unreadable_ttir_entry(caches):
    ours, _ = caches
    ttir, config = _ttir()
    _compile_quietly(ttir, config)
    path = _our_entry(ours)
    os.unlink(path)
    os.mkdir(path)  # reading it fails with IsADirectoryError
    _compile_warns(ttir, config, "unreadable cache entry")
    assert open(path).read() == ttir.text


def test_unusable_cache_dir_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    monkeypatch.setenv("HELION_CACHE_DIR", str(blocker))
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "triton"))
    ttir, config = _ttir()
    _compile_warns(ttir, config, "cache dir unusable")


def test_ttir_write_is_atomic(tmp_path, monkeypatch):
    """A writer that dies mid-write leaves no entry and no temporary file."""
    path = str(tmp_path / "k_0.ttir")

    class Crash(Exception):
        pass

    def crash(src, dst):
        raise Crash

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(Crash):
        disk_cache.atomic_write(path, b"module")
    assert os.listdir(tmp_path) == []


def _triton_files(theirs, pattern):
    files = glob.glob(str(theirs / "*" / pattern))
    assert files, pattern
    return files


@pytest.mark.parametrize("pattern", ["__grp__*.json", "[!_]*.json", "*.cubin"])
@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_corrupt_triton_entry_is_recompiled(caches, pattern, damage):
    _, theirs = caches
    ttir, config = _ttir()
    first = _compile_quietly(ttir, config)
    for path in _triton_files(theirs, pattern):
        data = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(b"" if damage == "empty" else data[: len(data) // 2])
    ck = _compile_warns(ttir, config, "Triton's cache entry")
    assert ck.asm["cubin"] == first.asm["cubin"]
    _compile_quietly(ttir, config)  # the entry was written again


def test_real_compile_errors_are_not_retried(caches):
    ttir, config = _ttir()
    bad = pipeline.TTIRResult(ttir.text.replace('"tt.return"', '"tt.no_such_op"'), (8, 1, 1), "scale")
    with warnings.catch_warnings():
        warnings.simplefilter("error", helion.exc.CacheWarning)
        with pytest.raises(helion.exc.CompilationError, match="Triton failed to compile scale"):
            pipeline.compile_ttir(bad, config, target=SM90)


def test_cubin_check(caches):
    ttir, config = _ttir()
    cubin = pipeline.compile_ttir(ttir, config, target=SM90).asm["cubin"]
    assert disk_cache.cubin_is_complete(cubin)
    assert not disk_cache.cubin_is_complete(cubin[:-1])
    assert not disk_cache.cubin_is_complete(b"")


def _scale_kernel(**settings):
    @helion.kernel(config=helion.Config(block_sizes=[16]), **settings)
    def double(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * 2.0
        return out

    return double


def test_specializations_are_bounded_lru(monkeypatch):
    import gc
    import weakref

    kernel = _scale_kernel(max_specializations=4)
    traced = {}
    for n in range(1, 11):
        kernel(torch.randn(n))
        (spec,) = [s for k, s in kernel._specs.items() if k[0][2] == (n,)]
        traced[n] = weakref.ref(spec.traced)
    assert [k[0][2][0] for k in kernel._specs] == [7, 8, 9, 10]
    gc.collect()
    assert [n for n, ref in traced.items() if ref() is not None] == [7, 8, 9, 10], "dropped ones are freed"
    x = torch.randn(7)
    torch.testing.assert_close(kernel(x), x * 2)  # used again: most recent
    kernel(torch.randn(11))
    assert [k[0][2][0] for k in kernel._specs] == [9, 10, 7, 11]
    for n in (9, 10, 7, 11):  # fast path still right after the evictions
        x = torch.randn(n)
        torch.testing.assert_close(kernel(x), x * 2)


def test_reset_frees_specializations():
    import gc
    import weakref

    kernel = _scale_kernel()
    assert kernel.settings.max_specializations == 64
    for n in (5, 6):
        kernel(torch.randn(n))
    refs = [weakref.ref(s.traced) for s in kernel._specs.values()]
    kernel.reset()
    gc.collect()
    assert kernel._specs == {} and all(r() is None for r in refs)
    x = torch.randn(5)
    torch.testing.assert_close(kernel(x), x * 2)


def test_binary_the_driver_refuses_is_recompiled(caches, monkeypatch):
    """On a GPU the kernel is loaded right after compiling; a cached binary
    that fails to load is dropped and compiled again (simulated here)."""
    from triton.compiler.compiler import CompiledKernel

    ttir, config = _ttir()
    _compile_quietly(ttir, config)
    loads = []

    def init_handles(ck):
        loads.append(ck)
        if len(loads) == 1:
            raise RuntimeError("Triton Error [CUDA]: device kernel image is invalid")

    monkeypatch.setattr(CompiledKernel, "_init_handles", init_handles)
    with pytest.warns(helion.exc.CacheWarning, match="a binary the GPU driver refuses"):
        pipeline.compile_ttir(ttir, config, target=SM90, load=True)
    assert len(loads) == 2 and loads[0] is not loads[1]


def test_kernel_too_big_for_the_gpu_is_a_compilation_error(caches, monkeypatch):
    from triton.compiler.compiler import CompiledKernel
    from triton.runtime.errors import OutOfResources

    def init_handles(ck):
        raise OutOfResources(352256, 232448, "shared memory")

    monkeypatch.setattr(CompiledKernel, "_init_handles", init_handles)
    ttir, config = _ttir()
    with warnings.catch_warnings():
        warnings.simplefilter("error", helion.exc.CacheWarning)
        with pytest.raises(helion.exc.CompilationError, match="does not fit on this GPU.*shared memory"):
            pipeline.compile_ttir(ttir, config, target=SM90, load=True)


@pytest.mark.gpu
@pytest.mark.parametrize("damage", ["truncated", "wrong-machine"])
def test_corrupt_cubin_on_the_gpu(caches, damage):
    """End to end on a GPU: a damaged cubin in Triton's cache is recompiled
    (truncated: caught by the ELF check; a wrong ELF machine: refused by the
    driver at load) and the kernel still computes the right values."""
    _, theirs = caches
    kernel = _scale_kernel()
    x = torch.randn(1000, device="cuda")
    torch.testing.assert_close(kernel(x), x * 2)
    (path,) = _triton_files(theirs, "*.cubin")
    data = bytearray(open(path, "rb").read())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[0x12:0x14] = (0x3E).to_bytes(2, "little")  # EM_X86_64 in place of EM_CUDA
    open(path, "wb").write(bytes(data))
    kernel.reset()
    with pytest.warns(helion.exc.CacheWarning, match="Triton's cache entry"):
        torch.testing.assert_close(kernel(x), x * 2)
