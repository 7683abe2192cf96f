"""Our extension and Triton (which carries its own LLVM) share one process.

CPU: TTIR text compiles to a cubin for sm_90 with no GPU present, in both
import orders. GPU: the same vector add is compiled, launched through the
CompiledKernel, and checked against torch.
"""
import os
import subprocess
import sys
import textwrap

import pytest

VECTOR_ADD_TTIR = """
"tt.func"() <{arg_attrs = [{tt.divisibility = 16 : i32}, {tt.divisibility = 16 : i32}, {tt.divisibility = 16 : i32}, {}],
  function_type = (!tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>, i32) -> (), sym_name = "vector_add"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %out: !tt.ptr<f32>, %n: i32):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %c1024 = "arith.constant"() <{value = 1024 : i32}> : () -> i32
  %start = "arith.muli"(%pid, %c1024) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
  %r = "tt.make_range"() <{end = 1024 : i32, start = 0 : i32}> : () -> tensor<1024xi32>
  %s = "tt.splat"(%start) : (i32) -> tensor<1024xi32>
  %offs = "arith.addi"(%s, %r) <{overflowFlags = #arith.overflow<none>}> : (tensor<1024xi32>, tensor<1024xi32>) -> tensor<1024xi32>
  %ns = "tt.splat"(%n) : (i32) -> tensor<1024xi32>
  %mask = "arith.cmpi"(%offs, %ns) <{predicate = 2 : i64}> : (tensor<1024xi32>, tensor<1024xi32>) -> tensor<1024xi1>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<1024x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %offs) : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi32>) -> tensor<1024x!tt.ptr<f32>>
  %xv = "tt.load"(%xa, %mask) <{boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32, isVolatile = false, operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi1>) -> tensor<1024xf32>
  %yp = "tt.splat"(%y) : (!tt.ptr<f32>) -> tensor<1024x!tt.ptr<f32>>
  %ya = "tt.addptr"(%yp, %offs) : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi32>) -> tensor<1024x!tt.ptr<f32>>
  %yv = "tt.load"(%ya, %mask) <{boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32, isVolatile = false, operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi1>) -> tensor<1024xf32>
  %sum = "arith.addf"(%xv, %yv) <{fastmath = #arith.fastmath<none>}> : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  %op = "tt.splat"(%out) : (!tt.ptr<f32>) -> tensor<1024x!tt.ptr<f32>>
  %oa = "tt.addptr"(%op, %offs) : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi32>) -> tensor<1024x!tt.ptr<f32>>
  "tt.store"(%oa, %sum, %mask) <{boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32}> : (tensor<1024x!tt.ptr<f32>>, tensor<1024xf32>, tensor<1024xi1>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""


def compile_ttir(text, target, tmp_path):
    import triton

    path = os.path.join(tmp_path, "vector_add.ttir")
    with open(path, "w") as f:
        f.write(text)
    return triton.compile(path, target=target, options={"num_warps": 4})


SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    order = sys.argv[1]
    if order == "helion-first":
        from helion import _mlir
        import triton
    else:
        import triton
        from helion import _mlir
    from triton.backends.compiler import GPUTarget
    sys.path.insert(0, os.path.dirname(sys.argv[2]))
    from test_triton_interop import VECTOR_ADD_TTIR, compile_ttir
    # Our context parses the TTIR too (generic form, unregistered dialect).
    _mlir.Context().parse_module(VECTOR_ADD_TTIR).verify()
    ck = compile_ttir(VECTOR_ADD_TTIR, GPUTarget("cuda", 90, 32), tempfile.mkdtemp())
    assert len(ck.asm["cubin"]) > 1000
    assert "ld.global" in ck.asm["ptx"] and ".entry vector_add" in ck.asm["ptx"]
    print("OK", order, len(ck.asm["cubin"]))
    """
)


@pytest.mark.parametrize("order", ["helion-first", "triton-first"])
def test_ttir_compiles_to_sm90_cubin_in_one_process(order, tmp_path):
    env = dict(os.environ, TRITON_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, order, __file__], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"OK {order}" in r.stdout


@pytest.mark.gpu
def test_gpu_vector_add_launch(tmp_path):
    import torch
    from triton.backends.compiler import GPUTarget

    from helion import _mlir

    _mlir.Context().parse_module(VECTOR_ADD_TTIR).verify()
    major, minor = torch.cuda.get_device_capability()
    ck = compile_ttir(VECTOR_ADD_TTIR, GPUTarget("cuda", major * 10 + minor, 32), str(tmp_path))
    n = 1_000_003
    x = torch.randn(n, device="cuda")
    y = torch.randn(n, device="cuda")
    out = torch.full_like(x, float("nan"))
    grid = ((n + 1023) // 1024, 1, 1)
    ck[grid](x, y, out, n)
    torch.cuda.synchronize()
    torch.testing.assert_close(out, x + y)


def test_triton_errors_name_the_users_line(tmp_path, monkeypatch):
    """Triton's diagnostics go to file descriptor 2; the CompilationError
    carries them, and the TTIR's locations make them name the kernel's line."""
    import inspect

    import torch
    from triton.backends.compiler import GPUTarget

    import helion
    import helion.language as hl
    from helion.compiler import pipeline

    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))

    @helion.kernel(config=helion.Config(block_sizes=[128]))
    def add(x, y):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + y[t]  # the line Triton's error must name
        return out

    bound = add.bind((torch.randn(1000), torch.randn(1000)))
    config = bound.config_spec.normalize(helion.Config(block_sizes=[128]))
    ttir = pipeline.lower_to_ttir(bound.spec.traced, config)
    broken = ttir.text.replace('"arith.addf"', '"arith.subi"', 1)  # integer op on floats: Triton's verifier refuses it
    line = inspect.getsourcelines(add.fn)[1] + 4
    with pytest.raises(helion.exc.CompilationError, match=rf"test_triton_interop.py\":{line}:\d+\): error: 'arith.subi' op"):
        pipeline.compile_ttir(pipeline.TTIRResult(broken, ttir.grid, "add_broken"), config,
                              target=GPUTarget("cuda", 90, 32))
