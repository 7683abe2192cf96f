"""Benchmark: a 512x512x512 fp32 matmul TTIR run by the CPU executor.

64x64 output tiles (one program each, 8x8 grid), scf.for over K in 32-wide
steps carrying the accumulator and both pointer tensors, tt.dot with
inputPrecision = IEEE, masked loads and store. Checks the result against
torch and prints the wall time; writes JSON to --out (default
benchmarks/results/).

    .venv/bin/python benchmarks/cpu_executor_matmul.py [--out DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from helion.runtime.cpu_executor import compile_ttir_for_cpu, run_ttir


def matmul_ttir(bm: int = 64, bn: int = 64, bk: int = 32, precision: int = 2) -> str:
    """TTIR (generic form) of C = A @ B for fp32 row/col-strided A, B, C."""
    P = "!tt.ptr<f32>"
    a_t, b_t, c_t = f"tensor<{bm}x{bk}", f"tensor<{bk}x{bn}", f"tensor<{bm}x{bn}"
    A, B = f"{a_t}x{P}>", f"{b_t}x{P}>"
    lines = []

    def op(text):
        lines.append("  " + text)

    def rng(name, n):
        op(f'{name} = "tt.make_range"() <{{end = {n} : i32, start = 0 : i32}}> : () -> tensor<{n}xi32>')

    def const(name, v):
        op(f'{name} = "arith.constant"() <{{value = {v} : i32}}> : () -> i32')

    def splat(name, src, ty, src_ty="i32"):
        op(f'{name} = "tt.splat"({src}) : ({src_ty}) -> {ty}')

    def binop(name, kind, a, b, ty):
        op(f'{name} = "arith.{kind}"({a}, {b}) : ({ty}, {ty}) -> {ty}')

    def expand(name, src, axis, n, ty="i32"):
        out = f"tensor<{n}x1x{ty}>" if axis == 1 else f"tensor<1x{n}x{ty}>"
        op(f'{name} = "tt.expand_dims"({src}) <{{axis = {axis} : i32}}> : (tensor<{n}x{ty}>) -> {out}')

    def bcast(name, src, src_ty, ty):
        op(f'{name} = "tt.broadcast"({src}) : ({src_ty}) -> {ty}')

    def cmp_lt(name, a, b, ty, res_ty):
        op(f'{name} = "arith.cmpi"({a}, {b}) <{{predicate = 2 : i64}}> : ({ty}, {ty}) -> {res_ty}')

    op('%pm = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32')
    op('%pn = "tt.get_program_id"() <{axis = 1 : i32}> : () -> i32')
    const("%c0", 0)
    const("%cbm", bm)
    const("%cbn", bn)
    const("%cbk", bk)
    binop("%m0", "muli", "%pm", "%cbm", "i32")
    binop("%n0", "muli", "%pn", "%cbn", "i32")
    rng("%rm", bm)
    rng("%rn", bn)
    rng("%rk", bk)
    splat("%m0s", "%m0", f"tensor<{bm}xi32>")
    binop("%om", "addi", "%m0s", "%rm", f"tensor<{bm}xi32>")
    splat("%n0s", "%n0", f"tensor<{bn}xi32>")
    binop("%on", "addi", "%n0s", "%rn", f"tensor<{bn}xi32>")
    expand("%om_c", "%om", 1, bm)
    expand("%on_r", "%on", 0, bn)
    expand("%rk_r", "%rk", 0, bk)
    expand("%rk_c", "%rk", 1, bk)
    # A pointers: a + om[:, None] * sam + rk[None, :] * sak
    splat("%sams", "%sam", f"tensor<{bm}x1xi32>")
    binop("%arow", "muli", "%om_c", "%sams", f"tensor<{bm}x1xi32>")
    splat("%saks", "%sak", f"tensor<1x{bk}xi32>")
    binop("%acol", "muli", "%rk_r", "%saks", f"tensor<1x{bk}xi32>")
    bcast("%arowb", "%arow", f"tensor<{bm}x1xi32>", f"{a_t}xi32>")
    bcast("%acolb", "%acol", f"tensor<1x{bk}xi32>", f"{a_t}xi32>")
    binop("%aoff", "addi", "%arowb", "%acolb", f"{a_t}xi32>")
    splat("%ap", "%a", A, P)
    op(f'%ap0 = "tt.addptr"(%ap, %aoff) : ({A}, {a_t}xi32>) -> {A}')
    # B pointers: b + rk[:, None] * sbk + on[None, :] * sbn
    splat("%sbks", "%sbk", f"tensor<{bk}x1xi32>")
    binop("%brow", "muli", "%rk_c", "%sbks", f"tensor<{bk}x1xi32>")
    splat("%sbns", "%sbn", f"tensor<1x{bn}xi32>")
    binop("%bcol", "muli", "%on_r", "%sbns", f"tensor<1x{bn}xi32>")
    bcast("%browb", "%brow", f"tensor<{bk}x1xi32>", f"{b_t}xi32>")
    bcast("%bcolb", "%bcol", f"tensor<1x{bn}xi32>", f"{b_t}xi32>")
    binop("%boff", "addi", "%browb", "%bcolb", f"{b_t}xi32>")
    splat("%bp", "%b", B, P)
    op(f'%bp0 = "tt.addptr"(%bp, %boff) : ({B}, {b_t}xi32>) -> {B}')
    # loop-invariant masks on M and N, pointer increments per K step
    splat("%Ms", "%M", f"tensor<{bm}x1xi32>")
    cmp_lt("%mm", "%om_c", "%Ms", f"tensor<{bm}x1xi32>", f"tensor<{bm}x1xi1>")
    splat("%Ns", "%N", f"tensor<1x{bn}xi32>")
    cmp_lt("%nm", "%on_r", "%Ns", f"tensor<1x{bn}xi32>", f"tensor<1x{bn}xi1>")
    bcast("%amm", "%mm", f"tensor<{bm}x1xi1>", f"{a_t}xi1>")
    bcast("%bnm", "%nm", f"tensor<1x{bn}xi1>", f"{b_t}xi1>")
    binop("%ainc", "muli", "%cbk", "%sak", "i32")
    splat("%aincs", "%ainc", f"{a_t}xi32>")
    binop("%binc", "muli", "%cbk", "%sbk", "i32")
    splat("%bincs", "%binc", f"{b_t}xi32>")
    splat("%Ks", "%K", f"tensor<{bk}xi32>")
    op(f'%zero = "arith.constant"() <{{value = dense<0.000000e+00> : {c_t}xf32>}}> : () -> {c_t}xf32>')
    op(f'%res:3 = "scf.for"(%c0, %K, %cbk, %zero, %ap0, %bp0) ({{')
    op(f"^bb0(%k: i32, %acc: {c_t}xf32>, %pa: {A}, %pb: {B}):")
    splat("%ks", "%k", f"tensor<{bk}xi32>")
    binop("%kk", "addi", "%ks", "%rk", f"tensor<{bk}xi32>")
    cmp_lt("%km", "%kk", "%Ks", f"tensor<{bk}xi32>", f"tensor<{bk}xi1>")
    expand("%kmr", "%km", 0, bk, "i1")
    bcast("%kmrb", "%kmr", f"tensor<1x{bk}xi1>", f"{a_t}xi1>")
    binop("%amask", "andi", "%amm", "%kmrb", f"{a_t}xi1>")
    expand("%kmc", "%km", 1, bk, "i1")
    bcast("%kmcb", "%kmc", f"tensor<{bk}x1xi1>", f"{b_t}xi1>")
    binop("%bmask", "andi", "%bnm", "%kmcb", f"{b_t}xi1>")
    op(f'%av = "tt.load"(%pa, %amask) <{{operandSegmentSizes = array<i32: 1, 1, 0>}}> : ({A}, {a_t}xi1>) -> {a_t}xf32>')
    op(f'%bv = "tt.load"(%pb, %bmask) <{{operandSegmentSizes = array<i32: 1, 1, 0>}}> : ({B}, {b_t}xi1>) -> {b_t}xf32>')
    op(f'%acc2 = "tt.dot"(%av, %bv, %acc) <{{inputPrecision = {precision} : i32, maxNumImpreciseAcc = 0 : i32}}> : '
       f'({a_t}xf32>, {b_t}xf32>, {c_t}xf32>) -> {c_t}xf32>')
    op(f'%pa2 = "tt.addptr"(%pa, %aincs) : ({A}, {a_t}xi32>) -> {A}')
    op(f'%pb2 = "tt.addptr"(%pb, %bincs) : ({B}, {b_t}xi32>) -> {B}')
    op(f'"scf.yield"(%acc2, %pa2, %pb2) : ({c_t}xf32>, {A}, {B}) -> ()')
    op(f"}}) : (i32, i32, i32, {c_t}xf32>, {A}, {B}) -> ({c_t}xf32>, {A}, {B})")
    # C pointers and mask
    splat("%scms", "%scm", f"tensor<{bm}x1xi32>")
    binop("%crow", "muli", "%om_c", "%scms", f"tensor<{bm}x1xi32>")
    splat("%scns", "%scn", f"tensor<1x{bn}xi32>")
    binop("%ccol", "muli", "%on_r", "%scns", f"tensor<1x{bn}xi32>")
    bcast("%crowb", "%crow", f"tensor<{bm}x1xi32>", f"{c_t}xi32>")
    bcast("%ccolb", "%ccol", f"tensor<1x{bn}xi32>", f"{c_t}xi32>")
    binop("%coff", "addi", "%crowb", "%ccolb", f"{c_t}xi32>")
    splat("%cp", "%c", f"{c_t}x{P}>", P)
    op(f'%cp0 = "tt.addptr"(%cp, %coff) : ({c_t}x{P}>, {c_t}xi32>) -> {c_t}x{P}>')
    bcast("%cmm", "%mm", f"tensor<{bm}x1xi1>", f"{c_t}xi1>")
    bcast("%cnm", "%nm", f"tensor<1x{bn}xi1>", f"{c_t}xi1>")
    binop("%cmask", "andi", "%cmm", "%cnm", f"{c_t}xi1>")
    op(f'"tt.store"(%cp0, %res#0, %cmask) : ({c_t}x{P}>, {c_t}xf32>, {c_t}xi1>) -> ()')
    op('"tt.return"() : () -> ()')
    body = "\n".join(lines)
    sig = ", ".join([P] * 3 + ["i32"] * 9)
    return (
        f'"tt.func"() <{{function_type = ({sig}) -> (), sym_name = "matmul"}}> ({{\n'
        f"^bb0(%a: {P}, %b: {P}, %c: {P}, %M: i32, %N: i32, %K: i32, %sam: i32, %sak: i32, "
        f"%sbk: i32, %sbn: i32, %scm: i32, %scn: i32):\n{body}\n}}) : () -> ()\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    M = N = K = args.size
    bm, bn, bk = 64, 64, 32
    torch.manual_seed(0)
    a = torch.randn(M, K)
    b = torch.randn(K, N)
    ttir = matmul_ttir(bm, bn, bk, precision=2)
    grid = ((M + bm - 1) // bm, (N + bn - 1) // bn, 1)

    t0 = time.perf_counter()
    compile_ttir_for_cpu(ttir)  # parse + plan (cached by run_ttir afterwards)
    compile_s = time.perf_counter() - t0

    times = []
    c = None
    for _ in range(args.repeat):
        c = torch.full((M, N), float("nan"))
        t0 = time.perf_counter()
        run_ttir(ttir, grid, [a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                              c.stride(0), c.stride(1)])
        times.append(time.perf_counter() - t0)
    ref = a @ b
    max_err = (c - ref).abs().max().item()
    ok = torch.allclose(c, ref, rtol=1e-4, atol=1e-4)

    result = {
        "benchmark": "cpu_executor_matmul",
        "shape": [M, N, K],
        "tiles": [bm, bn, bk],
        "grid": list(grid),
        "input_precision": "ieee",
        "compile_s": compile_s,
        "run_s": times,
        "best_s": min(times),
        "max_abs_err": max_err,
        "correct": ok,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    print(f"matmul {M}x{N}x{K} fp32 (64x64 tiles, BK=32, IEEE) through run_ttir: "
          f"best {min(times):.3f} s of {len(times)} (compile {compile_s * 1e3:.1f} ms), "
          f"max |err| vs torch {max_err:.2e}, {'OK' if ok else 'MISMATCH'}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "cpu_executor_matmul.json")
        with open(path, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {path}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
