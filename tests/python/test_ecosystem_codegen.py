"""Readable generated code: Triton's assembly form with source locations, and PTX."""
import inspect

import pytest
import torch

import helion
from helion.compiler import readable
from pointwise import add_const  # examples/pointwise.py: out[tile_n] = x_tile + 10.0

CONFIG = helion.Config(block_sizes=[16])
STORE = "out[tile_n] = x_tile + 10.0"


def _store_line():
    lines, start = inspect.getsourcelines(add_const.fn)
    return start + next(i for i, line in enumerate(lines) if STORE in line)


def test_readable_form_has_source_locations():
    bound = add_const.bind((torch.randn(100),))
    text = bound.to_triton_code(CONFIG, readable=True)
    assert "tt.func @add_const(" in text and '"tt.func"' not in text
    assert "tt.load" in text and "tt.store" in text and "arith.addf" in text
    assert f'{inspect.getsourcefile(add_const.fn)}":{_store_line()}:' in text
    assert f"// {STORE}" in text  # the source line next to its location


def test_generic_form_unchanged_and_readable_reparses(tmp_path, monkeypatch):
    from triton.backends.compiler import GPUTarget

    bound = add_const.bind((torch.randn(100),))
    generic = bound.to_triton_code(CONFIG)
    # the generic form carries the user's lines as locations (errors name them)
    assert '"builtin.module"()' in generic and 'loc("' in generic
    text = bound.to_triton_code(CONFIG, readable=True)
    # the readable text is valid TTIR: Triton parses and compiles it
    assert readable.pretty(text) == text
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))
    path = tmp_path / "add.ttir"
    path.write_text(text)
    import triton

    compiled = triton.compile(str(path), target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
    assert ".target sm_90" in compiled.asm["ptx"]


def test_ptx_on_cpu_targets_sm90(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))
    text = add_const.bind((torch.randn(100),)).to_triton_code(CONFIG, ptx=True)
    ttir, _, ptx = text.partition("// ---- PTX for sm_90 ----")
    assert "tt.func @add_const(" in ttir
    assert ".target sm_90" in ptx and "ld.global" in ptx and "st.global" in ptx


def test_print_output_code_is_readable(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HELION_PRINT_PTX", "1")
    monkeypatch.setenv("HELION_PRINT_OUTPUT_CODE", "1")
    kernel = helion.kernel(config=CONFIG)(add_const.fn)  # settings read from the environment
    assert kernel.settings.print_output_code and kernel.settings.print_ptx
    x = torch.randn(50)
    torch.testing.assert_close(kernel(x), x + 10.0)
    err = capsys.readouterr().err
    assert "// helion: TTIR of add_const with helion.Config(block_sizes=[16]" in err
    assert "tt.func @add_const(" in err and f"// {STORE}" in err
    assert "// ---- PTX for sm_90 ----" in err and ".entry add_const" in err


@pytest.mark.gpu
def test_ptx_for_the_current_gpu():
    major, minor = torch.cuda.get_device_capability()
    x = torch.randn(100, device="cuda")
    text = add_const.bind((x,)).to_triton_code(CONFIG, ptx=True)
    assert f"// ---- PTX for sm_{major}{minor} ----" in text and ".entry add_const" in text
