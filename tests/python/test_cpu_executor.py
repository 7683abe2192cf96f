"""The CPU TTIR executor (helion.runtime.cpu_executor) against torch.

Every kernel here is hand-written TTIR in generic form; test_kernels_compile_
with_triton checks that each one is valid TTIR by compiling it for sm_90.
"""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from test_triton_interop import VECTOR_ADD_TTIR  # noqa: E402

from helion.exc import CpuExecutionError  # noqa: E402
from helion.runtime.cpu_executor import compile_ttir_for_cpu, run_ttir  # noqa: E402

# A 16x32 tile copy of a strided (M, N) tensor, masked on both dimensions.
COPY2D_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, i32, i32, i32, i32, i32, i32) -> (), sym_name = "copy2d"}> ({
^bb0(%x: !tt.ptr<f32>, %out: !tt.ptr<f32>, %M: i32, %N: i32, %sxm: i32, %sxn: i32, %som: i32, %son: i32):
  %pm = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %pn = "tt.get_program_id"() <{axis = 1 : i32}> : () -> i32
  %c16 = "arith.constant"() <{value = 16 : i32}> : () -> i32
  %c32 = "arith.constant"() <{value = 32 : i32}> : () -> i32
  %m0 = "arith.muli"(%pm, %c16) : (i32, i32) -> i32
  %n0 = "arith.muli"(%pn, %c32) : (i32, i32) -> i32
  %rm = "tt.make_range"() <{end = 16 : i32, start = 0 : i32}> : () -> tensor<16xi32>
  %rn = "tt.make_range"() <{end = 32 : i32, start = 0 : i32}> : () -> tensor<32xi32>
  %m0s = "tt.splat"(%m0) : (i32) -> tensor<16xi32>
  %om = "arith.addi"(%m0s, %rm) : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi32>
  %n0s = "tt.splat"(%n0) : (i32) -> tensor<32xi32>
  %on = "arith.addi"(%n0s, %rn) : (tensor<32xi32>, tensor<32xi32>) -> tensor<32xi32>
  %om2 = "tt.expand_dims"(%om) <{axis = 1 : i32}> : (tensor<16xi32>) -> tensor<16x1xi32>
  %on2 = "tt.expand_dims"(%on) <{axis = 0 : i32}> : (tensor<32xi32>) -> tensor<1x32xi32>
  %Ms = "tt.splat"(%M) : (i32) -> tensor<16x1xi32>
  %mm = "arith.cmpi"(%om2, %Ms) <{predicate = 2 : i64}> : (tensor<16x1xi32>, tensor<16x1xi32>) -> tensor<16x1xi1>
  %Ns = "tt.splat"(%N) : (i32) -> tensor<1x32xi32>
  %mn = "arith.cmpi"(%on2, %Ns) <{predicate = 2 : i64}> : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi1>
  %mmb = "tt.broadcast"(%mm) : (tensor<16x1xi1>) -> tensor<16x32xi1>
  %mnb = "tt.broadcast"(%mn) : (tensor<1x32xi1>) -> tensor<16x32xi1>
  %mask = "arith.andi"(%mmb, %mnb) : (tensor<16x32xi1>, tensor<16x32xi1>) -> tensor<16x32xi1>
  %sxms = "tt.splat"(%sxm) : (i32) -> tensor<16x1xi32>
  %xr = "arith.muli"(%om2, %sxms) : (tensor<16x1xi32>, tensor<16x1xi32>) -> tensor<16x1xi32>
  %sxns = "tt.splat"(%sxn) : (i32) -> tensor<1x32xi32>
  %xc = "arith.muli"(%on2, %sxns) : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi32>
  %xrb = "tt.broadcast"(%xr) : (tensor<16x1xi32>) -> tensor<16x32xi32>
  %xcb = "tt.broadcast"(%xc) : (tensor<1x32xi32>) -> tensor<16x32xi32>
  %xo = "arith.addi"(%xrb, %xcb) : (tensor<16x32xi32>, tensor<16x32xi32>) -> tensor<16x32xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<16x32x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %xo) : (tensor<16x32x!tt.ptr<f32>>, tensor<16x32xi32>) -> tensor<16x32x!tt.ptr<f32>>
  %v = "tt.load"(%xa, %mask) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<16x32x!tt.ptr<f32>>, tensor<16x32xi1>) -> tensor<16x32xf32>
  %soms = "tt.splat"(%som) : (i32) -> tensor<16x1xi32>
  %or = "arith.muli"(%om2, %soms) : (tensor<16x1xi32>, tensor<16x1xi32>) -> tensor<16x1xi32>
  %sons = "tt.splat"(%son) : (i32) -> tensor<1x32xi32>
  %oc = "arith.muli"(%on2, %sons) : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi32>
  %orb = "tt.broadcast"(%or) : (tensor<16x1xi32>) -> tensor<16x32xi32>
  %ocb = "tt.broadcast"(%oc) : (tensor<1x32xi32>) -> tensor<16x32xi32>
  %oo = "arith.addi"(%orb, %ocb) : (tensor<16x32xi32>, tensor<16x32xi32>) -> tensor<16x32xi32>
  %op = "tt.splat"(%out) : (!tt.ptr<f32>) -> tensor<16x32x!tt.ptr<f32>>
  %oa = "tt.addptr"(%op, %oo) : (tensor<16x32x!tt.ptr<f32>>, tensor<16x32xi32>) -> tensor<16x32x!tt.ptr<f32>>
  "tt.store"(%oa, %v, %mask) : (tensor<16x32x!tt.ptr<f32>>, tensor<16x32xf32>, tensor<16x32xi1>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# C[M, N] = A[M, K] @ B[K, N]: 32x32 tiles, scf.for over K in steps of 16
# carrying the accumulator and both pointer tensors; loads masked along K.
# @T@ is the element type of A and B, @P@ the dot's inputPrecision.
MATMUL_TEMPLATE = """
"tt.func"() <{function_type = (!tt.ptr<@T@>, !tt.ptr<@T@>, !tt.ptr<f32>, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> (), sym_name = "matmul"}> ({
^bb0(%a: !tt.ptr<@T@>, %b: !tt.ptr<@T@>, %c: !tt.ptr<f32>, %M: i32, %N: i32, %K: i32, %sam: i32, %sak: i32, %sbk: i32, %sbn: i32, %scm: i32, %scn: i32):
  %pm = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %pn = "tt.get_program_id"() <{axis = 1 : i32}> : () -> i32
  %c0 = "arith.constant"() <{value = 0 : i32}> : () -> i32
  %c16 = "arith.constant"() <{value = 16 : i32}> : () -> i32
  %c32 = "arith.constant"() <{value = 32 : i32}> : () -> i32
  %m0 = "arith.muli"(%pm, %c32) : (i32, i32) -> i32
  %n0 = "arith.muli"(%pn, %c32) : (i32, i32) -> i32
  %r32 = "tt.make_range"() <{end = 32 : i32, start = 0 : i32}> : () -> tensor<32xi32>
  %r16 = "tt.make_range"() <{end = 16 : i32, start = 0 : i32}> : () -> tensor<16xi32>
  %m0s = "tt.splat"(%m0) : (i32) -> tensor<32xi32>
  %om = "arith.addi"(%m0s, %r32) : (tensor<32xi32>, tensor<32xi32>) -> tensor<32xi32>
  %n0s = "tt.splat"(%n0) : (i32) -> tensor<32xi32>
  %on = "arith.addi"(%n0s, %r32) : (tensor<32xi32>, tensor<32xi32>) -> tensor<32xi32>
  %om_c = "tt.expand_dims"(%om) <{axis = 1 : i32}> : (tensor<32xi32>) -> tensor<32x1xi32>
  %on_r = "tt.expand_dims"(%on) <{axis = 0 : i32}> : (tensor<32xi32>) -> tensor<1x32xi32>
  %rk_r = "tt.expand_dims"(%r16) <{axis = 0 : i32}> : (tensor<16xi32>) -> tensor<1x16xi32>
  %rk_c = "tt.expand_dims"(%r16) <{axis = 1 : i32}> : (tensor<16xi32>) -> tensor<16x1xi32>
  %sams = "tt.splat"(%sam) : (i32) -> tensor<32x1xi32>
  %arow = "arith.muli"(%om_c, %sams) : (tensor<32x1xi32>, tensor<32x1xi32>) -> tensor<32x1xi32>
  %saks = "tt.splat"(%sak) : (i32) -> tensor<1x16xi32>
  %acol = "arith.muli"(%rk_r, %saks) : (tensor<1x16xi32>, tensor<1x16xi32>) -> tensor<1x16xi32>
  %arowb = "tt.broadcast"(%arow) : (tensor<32x1xi32>) -> tensor<32x16xi32>
  %acolb = "tt.broadcast"(%acol) : (tensor<1x16xi32>) -> tensor<32x16xi32>
  %aoff = "arith.addi"(%arowb, %acolb) : (tensor<32x16xi32>, tensor<32x16xi32>) -> tensor<32x16xi32>
  %ap = "tt.splat"(%a) : (!tt.ptr<@T@>) -> tensor<32x16x!tt.ptr<@T@>>
  %ap0 = "tt.addptr"(%ap, %aoff) : (tensor<32x16x!tt.ptr<@T@>>, tensor<32x16xi32>) -> tensor<32x16x!tt.ptr<@T@>>
  %sbks = "tt.splat"(%sbk) : (i32) -> tensor<16x1xi32>
  %brow = "arith.muli"(%rk_c, %sbks) : (tensor<16x1xi32>, tensor<16x1xi32>) -> tensor<16x1xi32>
  %sbns = "tt.splat"(%sbn) : (i32) -> tensor<1x32xi32>
  %bcol = "arith.muli"(%on_r, %sbns) : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi32>
  %browb = "tt.broadcast"(%brow) : (tensor<16x1xi32>) -> tensor<16x32xi32>
  %bcolb = "tt.broadcast"(%bcol) : (tensor<1x32xi32>) -> tensor<16x32xi32>
  %boff = "arith.addi"(%browb, %bcolb) : (tensor<16x32xi32>, tensor<16x32xi32>) -> tensor<16x32xi32>
  %bp = "tt.splat"(%b) : (!tt.ptr<@T@>) -> tensor<16x32x!tt.ptr<@T@>>
  %bp0 = "tt.addptr"(%bp, %boff) : (tensor<16x32x!tt.ptr<@T@>>, tensor<16x32xi32>) -> tensor<16x32x!tt.ptr<@T@>>
  %zero = "arith.constant"() <{value = dense<0.000000e+00> : tensor<32x32xf32>}> : () -> tensor<32x32xf32>
  %ainc = "arith.muli"(%c16, %sak) : (i32, i32) -> i32
  %aincs = "tt.splat"(%ainc) : (i32) -> tensor<32x16xi32>
  %binc = "arith.muli"(%c16, %sbk) : (i32, i32) -> i32
  %bincs = "tt.splat"(%binc) : (i32) -> tensor<16x32xi32>
  %Ks = "tt.splat"(%K) : (i32) -> tensor<16xi32>
  %res:3 = "scf.for"(%c0, %K, %c16, %zero, %ap0, %bp0) ({
  ^bb0(%k: i32, %acc: tensor<32x32xf32>, %pa: tensor<32x16x!tt.ptr<@T@>>, %pb: tensor<16x32x!tt.ptr<@T@>>):
    %ks = "tt.splat"(%k) : (i32) -> tensor<16xi32>
    %kk = "arith.addi"(%ks, %r16) : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi32>
    %km = "arith.cmpi"(%kk, %Ks) <{predicate = 2 : i64}> : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %kmr = "tt.expand_dims"(%km) <{axis = 0 : i32}> : (tensor<16xi1>) -> tensor<1x16xi1>
    %amask = "tt.broadcast"(%kmr) : (tensor<1x16xi1>) -> tensor<32x16xi1>
    %kmc = "tt.expand_dims"(%km) <{axis = 1 : i32}> : (tensor<16xi1>) -> tensor<16x1xi1>
    %bmask = "tt.broadcast"(%kmc) : (tensor<16x1xi1>) -> tensor<16x32xi1>
    %av = "tt.load"(%pa, %amask) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<32x16x!tt.ptr<@T@>>, tensor<32x16xi1>) -> tensor<32x16x@T@>
    %bv = "tt.load"(%pb, %bmask) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<16x32x!tt.ptr<@T@>>, tensor<16x32xi1>) -> tensor<16x32x@T@>
    %acc2 = "tt.dot"(%av, %bv, %acc) <{inputPrecision = @P@ : i32, maxNumImpreciseAcc = 0 : i32}> : (tensor<32x16x@T@>, tensor<16x32x@T@>, tensor<32x32xf32>) -> tensor<32x32xf32>
    %pa2 = "tt.addptr"(%pa, %aincs) : (tensor<32x16x!tt.ptr<@T@>>, tensor<32x16xi32>) -> tensor<32x16x!tt.ptr<@T@>>
    %pb2 = "tt.addptr"(%pb, %bincs) : (tensor<16x32x!tt.ptr<@T@>>, tensor<16x32xi32>) -> tensor<16x32x!tt.ptr<@T@>>
    "scf.yield"(%acc2, %pa2, %pb2) : (tensor<32x32xf32>, tensor<32x16x!tt.ptr<@T@>>, tensor<16x32x!tt.ptr<@T@>>) -> ()
  }) : (i32, i32, i32, tensor<32x32xf32>, tensor<32x16x!tt.ptr<@T@>>, tensor<16x32x!tt.ptr<@T@>>) -> (tensor<32x32xf32>, tensor<32x16x!tt.ptr<@T@>>, tensor<16x32x!tt.ptr<@T@>>)
  %scms = "tt.splat"(%scm) : (i32) -> tensor<32x1xi32>
  %crow = "arith.muli"(%om_c, %scms) : (tensor<32x1xi32>, tensor<32x1xi32>) -> tensor<32x1xi32>
  %scns = "tt.splat"(%scn) : (i32) -> tensor<1x32xi32>
  %ccol = "arith.muli"(%on_r, %scns) : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi32>
  %crowb = "tt.broadcast"(%crow) : (tensor<32x1xi32>) -> tensor<32x32xi32>
  %ccolb = "tt.broadcast"(%ccol) : (tensor<1x32xi32>) -> tensor<32x32xi32>
  %coff = "arith.addi"(%crowb, %ccolb) : (tensor<32x32xi32>, tensor<32x32xi32>) -> tensor<32x32xi32>
  %cp = "tt.splat"(%c) : (!tt.ptr<f32>) -> tensor<32x32x!tt.ptr<f32>>
  %cp0 = "tt.addptr"(%cp, %coff) : (tensor<32x32x!tt.ptr<f32>>, tensor<32x32xi32>) -> tensor<32x32x!tt.ptr<f32>>
  %Ms = "tt.splat"(%M) : (i32) -> tensor<32x1xi32>
  %mm = "arith.cmpi"(%om_c, %Ms) <{predicate = 2 : i64}> : (tensor<32x1xi32>, tensor<32x1xi32>) -> tensor<32x1xi1>
  %Ns = "tt.splat"(%N) : (i32) -> tensor<1x32xi32>
  %nm = "arith.cmpi"(%on_r, %Ns) <{predicate = 2 : i64}> : (tensor<1x32xi32>, tensor<1x32xi32>) -> tensor<1x32xi1>
  %mmb = "tt.broadcast"(%mm) : (tensor<32x1xi1>) -> tensor<32x32xi1>
  %nmb = "tt.broadcast"(%nm) : (tensor<1x32xi1>) -> tensor<32x32xi1>
  %cmask = "arith.andi"(%mmb, %nmb) : (tensor<32x32xi1>, tensor<32x32xi1>) -> tensor<32x32xi1>
  "tt.store"(%cp0, %res#0, %cmask) : (tensor<32x32x!tt.ptr<f32>>, tensor<32x32xf32>, tensor<32x32xi1>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""


def matmul_ttir(elem="f32", precision=2):
    return MATMUL_TEMPLATE.replace("@T@", elem).replace("@P@", str(precision))


# Four rows of a (M, 128) tensor per program: row sums and row maxima.
ROW_REDUCE_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>, i32, i32) -> (), sym_name = "row_reduce"}> ({
^bb0(%x: !tt.ptr<f32>, %sum: !tt.ptr<f32>, %mx: !tt.ptr<f32>, %M: i32, %sxm: i32):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %c4 = "arith.constant"() <{value = 4 : i32}> : () -> i32
  %r0 = "arith.muli"(%pid, %c4) : (i32, i32) -> i32
  %rm = "tt.make_range"() <{end = 4 : i32, start = 0 : i32}> : () -> tensor<4xi32>
  %r0s = "tt.splat"(%r0) : (i32) -> tensor<4xi32>
  %om = "arith.addi"(%r0s, %rm) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %rn = "tt.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
  %om_c = "tt.expand_dims"(%om) <{axis = 1 : i32}> : (tensor<4xi32>) -> tensor<4x1xi32>
  %sxms = "tt.splat"(%sxm) : (i32) -> tensor<4x1xi32>
  %roff = "arith.muli"(%om_c, %sxms) : (tensor<4x1xi32>, tensor<4x1xi32>) -> tensor<4x1xi32>
  %roffb = "tt.broadcast"(%roff) : (tensor<4x1xi32>) -> tensor<4x128xi32>
  %rn_r = "tt.expand_dims"(%rn) <{axis = 0 : i32}> : (tensor<128xi32>) -> tensor<1x128xi32>
  %rnb = "tt.broadcast"(%rn_r) : (tensor<1x128xi32>) -> tensor<4x128xi32>
  %off = "arith.addi"(%roffb, %rnb) : (tensor<4x128xi32>, tensor<4x128xi32>) -> tensor<4x128xi32>
  %Ms = "tt.splat"(%M) : (i32) -> tensor<4x1xi32>
  %rmask = "arith.cmpi"(%om_c, %Ms) <{predicate = 2 : i64}> : (tensor<4x1xi32>, tensor<4x1xi32>) -> tensor<4x1xi1>
  %mask = "tt.broadcast"(%rmask) : (tensor<4x1xi1>) -> tensor<4x128xi1>
  %zero = "arith.constant"() <{value = dense<0.000000e+00> : tensor<4x128xf32>}> : () -> tensor<4x128xf32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<4x128x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %off) : (tensor<4x128x!tt.ptr<f32>>, tensor<4x128xi32>) -> tensor<4x128x!tt.ptr<f32>>
  %v = "tt.load"(%xa, %mask, %zero) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<4x128x!tt.ptr<f32>>, tensor<4x128xi1>, tensor<4x128xf32>) -> tensor<4x128xf32>
  %s = "tt.reduce"(%v) <{axis = 1 : i32}> ({
  ^bb0(%a: f32, %b: f32):
    %t = "arith.addf"(%a, %b) : (f32, f32) -> f32
    "tt.reduce.return"(%t) : (f32) -> ()
  }) : (tensor<4x128xf32>) -> tensor<4xf32>
  %m = "tt.reduce"(%v) <{axis = 1 : i32}> ({
  ^bb0(%a: f32, %b: f32):
    %t = "arith.maxnumf"(%a, %b) : (f32, f32) -> f32
    "tt.reduce.return"(%t) : (f32) -> ()
  }) : (tensor<4x128xf32>) -> tensor<4xf32>
  %Ms1 = "tt.splat"(%M) : (i32) -> tensor<4xi32>
  %m1 = "arith.cmpi"(%om, %Ms1) <{predicate = 2 : i64}> : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %sp = "tt.splat"(%sum) : (!tt.ptr<f32>) -> tensor<4x!tt.ptr<f32>>
  %sa = "tt.addptr"(%sp, %om) : (tensor<4x!tt.ptr<f32>>, tensor<4xi32>) -> tensor<4x!tt.ptr<f32>>
  "tt.store"(%sa, %s, %m1) : (tensor<4x!tt.ptr<f32>>, tensor<4xf32>, tensor<4xi1>) -> ()
  %mp = "tt.splat"(%mx) : (!tt.ptr<f32>) -> tensor<4x!tt.ptr<f32>>
  %ma = "tt.addptr"(%mp, %om) : (tensor<4x!tt.ptr<f32>>, tensor<4xi32>) -> tensor<4x!tt.ptr<f32>>
  "tt.store"(%ma, %m, %m1) : (tensor<4x!tt.ptr<f32>>, tensor<4xf32>, tensor<4xi1>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# One row of 64 per program: argmax as a two-operand reduce (value, index)
# whose combine breaks ties toward the smaller index; a scalar store.
ARGMAX_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<i32>, i32) -> (), sym_name = "argmax"}> ({
^bb0(%x: !tt.ptr<f32>, %out: !tt.ptr<i32>, %sxm: i32):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %row = "arith.muli"(%pid, %sxm) : (i32, i32) -> i32
  %r = "tt.make_range"() <{end = 64 : i32, start = 0 : i32}> : () -> tensor<64xi32>
  %rows = "tt.splat"(%row) : (i32) -> tensor<64xi32>
  %off = "arith.addi"(%rows, %r) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %off) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<64x!tt.ptr<f32>>) -> tensor<64xf32>
  %best:2 = "tt.reduce"(%v, %r) <{axis = 0 : i32}> ({
  ^bb0(%v1: f32, %i1: i32, %v2: f32, %i2: i32):
    %gt = "arith.cmpf"(%v1, %v2) <{predicate = 2 : i64}> : (f32, f32) -> i1
    %eq = "arith.cmpf"(%v1, %v2) <{predicate = 1 : i64}> : (f32, f32) -> i1
    %lt = "arith.cmpi"(%i1, %i2) <{predicate = 2 : i64}> : (i32, i32) -> i1
    %tie = "arith.andi"(%eq, %lt) : (i1, i1) -> i1
    %take = "arith.ori"(%gt, %tie) : (i1, i1) -> i1
    %vv = "arith.select"(%take, %v1, %v2) : (i1, f32, f32) -> f32
    %ii = "arith.select"(%take, %i1, %i2) : (i1, i32, i32) -> i32
    "tt.reduce.return"(%vv, %ii) : (f32, i32) -> ()
  }) : (tensor<64xf32>, tensor<64xi32>) -> (f32, i32)
  %oa = "tt.addptr"(%out, %pid) : (!tt.ptr<i32>, i32) -> !tt.ptr<i32>
  "tt.store"(%oa, %best#1) : (!tt.ptr<i32>, i32) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# 128 values per program: a histogram by atomic fadd (duplicate addresses,
# result unused), an atomic max whose old values are stored (duplicates,
# sequential semantics), and a scalar atomic counter giving each program a ticket.
ATOMIC_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<i32>, !tt.ptr<f32>, !tt.ptr<i32>, !tt.ptr<i32>, !tt.ptr<i32>, !tt.ptr<i32>, i32) -> (), sym_name = "atomics"}> ({
^bb0(%x: !tt.ptr<i32>, %hist: !tt.ptr<f32>, %mx: !tt.ptr<i32>, %oldmx: !tt.ptr<i32>, %counter: !tt.ptr<i32>, %ticket: !tt.ptr<i32>, %n: i32):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %c128 = "arith.constant"() <{value = 128 : i32}> : () -> i32
  %start = "arith.muli"(%pid, %c128) : (i32, i32) -> i32
  %r = "tt.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
  %ss = "tt.splat"(%start) : (i32) -> tensor<128xi32>
  %offs = "arith.addi"(%ss, %r) : (tensor<128xi32>, tensor<128xi32>) -> tensor<128xi32>
  %ns = "tt.splat"(%n) : (i32) -> tensor<128xi32>
  %mask = "arith.cmpi"(%offs, %ns) <{predicate = 2 : i64}> : (tensor<128xi32>, tensor<128xi32>) -> tensor<128xi1>
  %xp = "tt.splat"(%x) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %xa = "tt.addptr"(%xp, %offs) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  %v = "tt.load"(%xa, %mask) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<128x!tt.ptr<i32>>, tensor<128xi1>) -> tensor<128xi32>
  %hp = "tt.splat"(%hist) : (!tt.ptr<f32>) -> tensor<128x!tt.ptr<f32>>
  %ha = "tt.addptr"(%hp, %v) : (tensor<128x!tt.ptr<f32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<f32>>
  %one = "arith.constant"() <{value = dense<1.000000e+00> : tensor<128xf32>}> : () -> tensor<128xf32>
  %h = "tt.atomic_rmw"(%ha, %one, %mask) <{atomic_rmw_op = 5 : i32, scope = 1 : i32, sem = 4 : i32}> : (tensor<128x!tt.ptr<f32>>, tensor<128xf32>, tensor<128xi1>) -> tensor<128xf32>
  %mp = "tt.splat"(%mx) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %ma = "tt.addptr"(%mp, %v) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  %old = "tt.atomic_rmw"(%ma, %offs, %mask) <{atomic_rmw_op = 6 : i32, scope = 1 : i32, sem = 4 : i32}> : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>, tensor<128xi1>) -> tensor<128xi32>
  %op = "tt.splat"(%oldmx) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %oa = "tt.addptr"(%op, %offs) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  "tt.store"(%oa, %old, %mask) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>, tensor<128xi1>) -> ()
  %c1 = "arith.constant"() <{value = 1 : i32}> : () -> i32
  %t = "tt.atomic_rmw"(%counter, %c1) <{atomic_rmw_op = 4 : i32, scope = 1 : i32, sem = 4 : i32}> : (!tt.ptr<i32>, i32) -> i32
  %ta = "tt.addptr"(%ticket, %pid) : (!tt.ptr<i32>, i32) -> !tt.ptr<i32>
  "tt.store"(%ta, %t) : (!tt.ptr<i32>, i32) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# Even programs store 2*x, odd programs x+1: an scf.if yielding a tensor.
IF_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, i32) -> (), sym_name = "if_kernel"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %n: i32):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %c64 = "arith.constant"() <{value = 64 : i32}> : () -> i32
  %start = "arith.muli"(%pid, %c64) : (i32, i32) -> i32
  %r = "tt.make_range"() <{end = 64 : i32, start = 0 : i32}> : () -> tensor<64xi32>
  %ss = "tt.splat"(%start) : (i32) -> tensor<64xi32>
  %offs = "arith.addi"(%ss, %r) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>
  %ns = "tt.splat"(%n) : (i32) -> tensor<64xi32>
  %mask = "arith.cmpi"(%offs, %ns) <{predicate = 2 : i64}> : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi1>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %offs) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  %v = "tt.load"(%xa, %mask) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<64x!tt.ptr<f32>>, tensor<64xi1>) -> tensor<64xf32>
  %c2 = "arith.constant"() <{value = 2 : i32}> : () -> i32
  %c0 = "arith.constant"() <{value = 0 : i32}> : () -> i32
  %rem = "arith.remsi"(%pid, %c2) : (i32, i32) -> i32
  %even = "arith.cmpi"(%rem, %c0) <{predicate = 0 : i64}> : (i32, i32) -> i1
  %res = "scf.if"(%even) ({
    %two = "arith.constant"() <{value = dense<2.000000e+00> : tensor<64xf32>}> : () -> tensor<64xf32>
    %a = "arith.mulf"(%v, %two) : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
    "scf.yield"(%a) : (tensor<64xf32>) -> ()
  }, {
    %one = "arith.constant"() <{value = dense<1.000000e+00> : tensor<64xf32>}> : () -> tensor<64xf32>
    %b = "arith.addf"(%v, %one) : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
    "scf.yield"(%b) : (tensor<64xf32>) -> ()
  }) : (i1) -> tensor<64xf32>
  %yp = "tt.splat"(%y) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %ya = "tt.addptr"(%yp, %offs) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  "tt.store"(%ya, %res, %mask) : (tensor<64x!tt.ptr<f32>>, tensor<64xf32>, tensor<64xi1>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# Collatz step counts: a scalar load, an scf.while carrying two scalars.
WHILE_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<i32>, !tt.ptr<i32>) -> (), sym_name = "collatz"}> ({
^bb0(%x: !tt.ptr<i32>, %out: !tt.ptr<i32>):
  %pid = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %xa = "tt.addptr"(%x, %pid) : (!tt.ptr<i32>, i32) -> !tt.ptr<i32>
  %n0 = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (!tt.ptr<i32>) -> i32
  %c0 = "arith.constant"() <{value = 0 : i32}> : () -> i32
  %c1 = "arith.constant"() <{value = 1 : i32}> : () -> i32
  %c2 = "arith.constant"() <{value = 2 : i32}> : () -> i32
  %c3 = "arith.constant"() <{value = 3 : i32}> : () -> i32
  %r:2 = "scf.while"(%n0, %c0) ({
  ^bb0(%n: i32, %cnt: i32):
    %go = "arith.cmpi"(%n, %c1) <{predicate = 1 : i64}> : (i32, i32) -> i1
    "scf.condition"(%go, %n, %cnt) : (i1, i32, i32) -> ()
  }, {
  ^bb0(%n: i32, %cnt: i32):
    %rem = "arith.remsi"(%n, %c2) : (i32, i32) -> i32
    %even = "arith.cmpi"(%rem, %c0) <{predicate = 0 : i64}> : (i32, i32) -> i1
    %half = "arith.divsi"(%n, %c2) : (i32, i32) -> i32
    %t = "arith.muli"(%n, %c3) : (i32, i32) -> i32
    %t1 = "arith.addi"(%t, %c1) : (i32, i32) -> i32
    %nn = "arith.select"(%even, %half, %t1) : (i1, i32, i32) -> i32
    %cnt1 = "arith.addi"(%cnt, %c1) : (i32, i32) -> i32
    "scf.yield"(%nn, %cnt1) : (i32, i32) -> ()
  }) : (i32, i32) -> (i32, i32)
  %oa = "tt.addptr"(%out, %pid) : (!tt.ptr<i32>, i32) -> !tt.ptr<i32>
  "tt.store"(%oa, %r#1) : (!tt.ptr<i32>, i32) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# Integer semantics on 64 lanes: out[k * 64 + lane] = op_k(a, b).
_INT_OPS = [
    ("divsi", '"arith.divsi"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("remsi", '"arith.remsi"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("divui", '"arith.divui"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("remui", '"arith.remui"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("shrui", '"arith.shrui"(%a, %sh) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("shrsi", '"arith.shrsi"(%a, %sh) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("shli", '"arith.shli"(%a, %sh) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("muli", '"arith.muli"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("addi", '"arith.addi"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("maxui", '"arith.maxui"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("minsi", '"arith.minsi"(%a, %b) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>'),
    ("ult", None),
    ("trunc8", None),
    ("fptosi", None),
    ("uitofp_bits", None),
]


def _int_kernel():
    lines = []
    for k, (name, expr) in enumerate(_INT_OPS):
        v = f"%v{k}"
        if name == "ult":
            lines.append(f'%u{k} = "arith.cmpi"(%a, %b) <{{predicate = 6 : i64}}> : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi1>')
            lines.append(f'{v} = "arith.extui"(%u{k}) : (tensor<64xi1>) -> tensor<64xi32>')
        elif name == "trunc8":
            lines.append(f'%u{k} = "arith.trunci"(%a) : (tensor<64xi32>) -> tensor<64xi8>')
            lines.append(f'{v} = "arith.extsi"(%u{k}) : (tensor<64xi8>) -> tensor<64xi32>')
        elif name == "fptosi":
            lines.append(f'%u{k} = "arith.sitofp"(%a) : (tensor<64xi32>) -> tensor<64xf32>')
            lines.append(f'%w{k} = "arith.mulf"(%u{k}, %scale) : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>')
            lines.append(f'{v} = "arith.fptosi"(%w{k}) : (tensor<64xf32>) -> tensor<64xi32>')
        elif name == "uitofp_bits":
            lines.append(f'%u{k} = "arith.uitofp"(%a) : (tensor<64xi32>) -> tensor<64xf32>')
            lines.append(f'{v} = "tt.bitcast"(%u{k}) : (tensor<64xf32>) -> tensor<64xi32>')
        else:
            lines.append(f"{v} = {expr}")
        lines.append(f'%base{k} = "arith.constant"() <{{value = dense<{k * 64}> : tensor<64xi32>}}> : () -> tensor<64xi32>')
        lines.append(f'%o{k} = "arith.addi"(%base{k}, %r) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>')
        lines.append(f'%p{k} = "tt.addptr"(%op, %o{k}) : (tensor<64x!tt.ptr<i32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<i32>>')
        lines.append(f'"tt.store"(%p{k}, {v}) : (tensor<64x!tt.ptr<i32>>, tensor<64xi32>) -> ()')
    body = "\n  ".join(lines)
    return """
"tt.func"() <{function_type = (!tt.ptr<i32>, !tt.ptr<i32>, !tt.ptr<i32>) -> (), sym_name = "int_ops"}> ({
^bb0(%pa: !tt.ptr<i32>, %pb: !tt.ptr<i32>, %out: !tt.ptr<i32>):
  %r = "tt.make_range"() <{end = 64 : i32, start = 0 : i32}> : () -> tensor<64xi32>
  %ap = "tt.splat"(%pa) : (!tt.ptr<i32>) -> tensor<64x!tt.ptr<i32>>
  %aa = "tt.addptr"(%ap, %r) : (tensor<64x!tt.ptr<i32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<i32>>
  %a = "tt.load"(%aa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<64x!tt.ptr<i32>>) -> tensor<64xi32>
  %bp = "tt.splat"(%pb) : (!tt.ptr<i32>) -> tensor<64x!tt.ptr<i32>>
  %ba = "tt.addptr"(%bp, %r) : (tensor<64x!tt.ptr<i32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<i32>>
  %b = "tt.load"(%ba) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<64x!tt.ptr<i32>>) -> tensor<64xi32>
  %c31 = "arith.constant"() <{value = dense<31> : tensor<64xi32>}> : () -> tensor<64xi32>
  %sh = "arith.andi"(%b, %c31) : (tensor<64xi32>, tensor<64xi32>) -> tensor<64xi32>
  %scale = "arith.constant"() <{value = dense<3.700000e-01> : tensor<64xf32>}> : () -> tensor<64xf32>
  %op = "tt.splat"(%out) : (!tt.ptr<i32>) -> tensor<64x!tt.ptr<i32>>
  BODY
  "tt.return"() : () -> ()
}) : () -> ()
""".replace("BODY", body)


INT_OPS_TTIR = _int_kernel()

# Float conversions on 64 lanes: bf16 arithmetic, fp8 round trips through tt.fp_to_fp.
CONVERT_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>) -> (), sym_name = "convert"}> ({
^bb0(%x: !tt.ptr<f32>, %obf: !tt.ptr<f32>, %oe4: !tt.ptr<f32>, %oe5: !tt.ptr<f32>):
  %r = "tt.make_range"() <{end = 64 : i32, start = 0 : i32}> : () -> tensor<64xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<64x!tt.ptr<f32>>) -> tensor<64xf32>
  %h = "arith.truncf"(%v) : (tensor<64xf32>) -> tensor<64xbf16>
  %h3 = "arith.mulf"(%h, %h) : (tensor<64xbf16>, tensor<64xbf16>) -> tensor<64xbf16>
  %h4 = "arith.addf"(%h3, %h) : (tensor<64xbf16>, tensor<64xbf16>) -> tensor<64xbf16>
  %hb = "arith.extf"(%h4) : (tensor<64xbf16>) -> tensor<64xf32>
  %p1 = "tt.splat"(%obf) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %a1 = "tt.addptr"(%p1, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  "tt.store"(%a1, %hb) : (tensor<64x!tt.ptr<f32>>, tensor<64xf32>) -> ()
  %q4 = "tt.fp_to_fp"(%v) <{rounding = 1 : i32}> : (tensor<64xf32>) -> tensor<64xf8E4M3FN>
  %b4 = "tt.fp_to_fp"(%q4) : (tensor<64xf8E4M3FN>) -> tensor<64xf32>
  %p2 = "tt.splat"(%oe4) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %a2 = "tt.addptr"(%p2, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  "tt.store"(%a2, %b4) : (tensor<64x!tt.ptr<f32>>, tensor<64xf32>) -> ()
  %q5 = "tt.fp_to_fp"(%v) <{rounding = 1 : i32}> : (tensor<64xf32>) -> tensor<64xf8E5M2>
  %b5 = "tt.fp_to_fp"(%q5) : (tensor<64xf8E5M2>) -> tensor<64xf32>
  %p3 = "tt.splat"(%oe5) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %a3 = "tt.addptr"(%p3, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  "tt.store"(%a3, %b5) : (tensor<64x!tt.ptr<f32>>, tensor<64xf32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# Inclusive scans of 128 values: f32 (generic region path) and i32 (cumsum).
SCAN_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<i32>, !tt.ptr<i32>) -> (), sym_name = "scan"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %xi: !tt.ptr<i32>, %yi: !tt.ptr<i32>):
  %r = "tt.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<128x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %r) : (tensor<128x!tt.ptr<f32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<128x!tt.ptr<f32>>) -> tensor<128xf32>
  %s = "tt.scan"(%v) <{axis = 0 : i32, reverse = false}> ({
  ^bb0(%a: f32, %b: f32):
    %t = "arith.addf"(%a, %b) : (f32, f32) -> f32
    "tt.scan.return"(%t) : (f32) -> ()
  }) : (tensor<128xf32>) -> tensor<128xf32>
  %yp = "tt.splat"(%y) : (!tt.ptr<f32>) -> tensor<128x!tt.ptr<f32>>
  %ya = "tt.addptr"(%yp, %r) : (tensor<128x!tt.ptr<f32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<f32>>
  "tt.store"(%ya, %s) : (tensor<128x!tt.ptr<f32>>, tensor<128xf32>) -> ()
  %xip = "tt.splat"(%xi) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %xia = "tt.addptr"(%xip, %r) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  %vi = "tt.load"(%xia) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<128x!tt.ptr<i32>>) -> tensor<128xi32>
  %si = "tt.scan"(%vi) <{axis = 0 : i32, reverse = true}> ({
  ^bb0(%a: i32, %b: i32):
    %t = "arith.addi"(%a, %b) : (i32, i32) -> i32
    "tt.scan.return"(%t) : (i32) -> ()
  }) : (tensor<128xi32>) -> tensor<128xi32>
  %yip = "tt.splat"(%yi) : (!tt.ptr<i32>) -> tensor<128x!tt.ptr<i32>>
  %yia = "tt.addptr"(%yip, %r) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> tensor<128x!tt.ptr<i32>>
  "tt.store"(%yia, %si) : (tensor<128x!tt.ptr<i32>>, tensor<128xi32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# A 16x32 tile copy through block pointers (make_tensor_ptr, advance,
# boundary-checked load with zero padding and store).
BLOCK_PTR_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, i32, i32, i32) -> (), sym_name = "block_copy"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %M: i32, %N: i32, %sxm: i32):
  %pm = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %pn = "tt.get_program_id"() <{axis = 1 : i32}> : () -> i32
  %c16 = "arith.constant"() <{value = 16 : i32}> : () -> i32
  %c32 = "arith.constant"() <{value = 32 : i32}> : () -> i32
  %c0 = "arith.constant"() <{value = 0 : i32}> : () -> i32
  %one = "arith.constant"() <{value = 1 : i64}> : () -> i64
  %m0 = "arith.muli"(%pm, %c16) : (i32, i32) -> i32
  %n0 = "arith.muli"(%pn, %c32) : (i32, i32) -> i32
  %M64 = "arith.extsi"(%M) : (i32) -> i64
  %N64 = "arith.extsi"(%N) : (i32) -> i64
  %s64 = "arith.extsi"(%sxm) : (i32) -> i64
  %xb = "tt.make_tensor_ptr"(%x, %M64, %N64, %s64, %one, %m0, %n0) <{order = array<i32: 1, 0>}> : (!tt.ptr<f32>, i64, i64, i64, i64, i32, i32) -> !tt.ptr<tensor<16x32xf32>>
  %v = "tt.load"(%xb) <{boundaryCheck = array<i32: 0, 1>, operandSegmentSizes = array<i32: 1, 0, 0>, padding = 1 : i32}> : (!tt.ptr<tensor<16x32xf32>>) -> tensor<16x32xf32>
  %yb = "tt.make_tensor_ptr"(%y, %M64, %N64, %N64, %one, %c0, %c0) <{order = array<i32: 1, 0>}> : (!tt.ptr<f32>, i64, i64, i64, i64, i32, i32) -> !tt.ptr<tensor<16x32xf32>>
  %yb2 = "tt.advance"(%yb, %m0, %n0) : (!tt.ptr<tensor<16x32xf32>>, i32, i32) -> !tt.ptr<tensor<16x32xf32>>
  "tt.store"(%yb2, %v) <{boundaryCheck = array<i32: 0, 1>}> : (!tt.ptr<tensor<16x32xf32>>, tensor<16x32xf32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# The same tile copy through tensor descriptors (TMA on sm_90): out-of-bounds
# elements read zero and are not written.
DESCRIPTOR_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, i32, i32, i32) -> (), sym_name = "desc_copy"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>, %M: i32, %N: i32, %sxm: i32):
  %pm = "tt.get_program_id"() <{axis = 0 : i32}> : () -> i32
  %pn = "tt.get_program_id"() <{axis = 1 : i32}> : () -> i32
  %c16 = "arith.constant"() <{value = 16 : i32}> : () -> i32
  %c32 = "arith.constant"() <{value = 32 : i32}> : () -> i32
  %one = "arith.constant"() <{value = 1 : i64}> : () -> i64
  %m0 = "arith.muli"(%pm, %c16) : (i32, i32) -> i32
  %n0 = "arith.muli"(%pn, %c32) : (i32, i32) -> i32
  %s64 = "arith.extsi"(%sxm) : (i32) -> i64
  %N64 = "arith.extsi"(%N) : (i32) -> i64
  %xd = "tt.make_tensor_descriptor"(%x, %M, %N, %s64, %one) : (!tt.ptr<f32>, i32, i32, i64, i64) -> !tt.tensordesc<tensor<16x32xf32>>
  %v = "tt.descriptor_load"(%xd, %m0, %n0) : (!tt.tensordesc<tensor<16x32xf32>>, i32, i32) -> tensor<16x32xf32>
  %yd = "tt.make_tensor_descriptor"(%y, %M, %N, %N64, %one) : (!tt.ptr<f32>, i32, i32, i64, i64) -> !tt.tensordesc<tensor<16x32xf32>>
  "tt.descriptor_store"(%yd, %v, %m0, %n0) : (!tt.tensordesc<tensor<16x32xf32>>, tensor<16x32xf32>, i32, i32) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# bf16 row sums (reduce region in bf16: the generic tree path, rounding per
# combine like the GPU) and RTZ downcasts f32 -> f16 / bf16.
BF16_RTZ_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<f32>) -> (), sym_name = "bf16_rtz"}> ({
^bb0(%x: !tt.ptr<f32>, %sum: !tt.ptr<f32>, %o16: !tt.ptr<f32>, %obf: !tt.ptr<f32>):
  %r = "tt.make_range"() <{end = 256 : i32, start = 0 : i32}> : () -> tensor<256xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<256x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %r) : (tensor<256x!tt.ptr<f32>>, tensor<256xi32>) -> tensor<256x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<256x!tt.ptr<f32>>) -> tensor<256xf32>
  %h = "arith.truncf"(%v) : (tensor<256xf32>) -> tensor<256xbf16>
  %h2 = "tt.reshape"(%h) : (tensor<256xbf16>) -> tensor<4x64xbf16>
  %s = "tt.reduce"(%h2) <{axis = 1 : i32}> ({
  ^bb0(%a: bf16, %b: bf16):
    %t = "arith.addf"(%a, %b) : (bf16, bf16) -> bf16
    "tt.reduce.return"(%t) : (bf16) -> ()
  }) : (tensor<4x64xbf16>) -> tensor<4xbf16>
  %sf = "arith.extf"(%s) : (tensor<4xbf16>) -> tensor<4xf32>
  %r4 = "tt.make_range"() <{end = 4 : i32, start = 0 : i32}> : () -> tensor<4xi32>
  %sp = "tt.splat"(%sum) : (!tt.ptr<f32>) -> tensor<4x!tt.ptr<f32>>
  %sa = "tt.addptr"(%sp, %r4) : (tensor<4x!tt.ptr<f32>>, tensor<4xi32>) -> tensor<4x!tt.ptr<f32>>
  "tt.store"(%sa, %sf) : (tensor<4x!tt.ptr<f32>>, tensor<4xf32>) -> ()
  %q16 = "tt.fp_to_fp"(%v) <{rounding = 0 : i32}> : (tensor<256xf32>) -> tensor<256xf16>
  %b16 = "arith.extf"(%q16) : (tensor<256xf16>) -> tensor<256xf32>
  %p16 = "tt.splat"(%o16) : (!tt.ptr<f32>) -> tensor<256x!tt.ptr<f32>>
  %a16 = "tt.addptr"(%p16, %r) : (tensor<256x!tt.ptr<f32>>, tensor<256xi32>) -> tensor<256x!tt.ptr<f32>>
  "tt.store"(%a16, %b16) : (tensor<256x!tt.ptr<f32>>, tensor<256xf32>) -> ()
  %qbf = "tt.fp_to_fp"(%v) <{rounding = 0 : i32}> : (tensor<256xf32>) -> tensor<256xbf16>
  %bbf = "arith.extf"(%qbf) : (tensor<256xbf16>) -> tensor<256xf32>
  %pbf = "tt.splat"(%obf) : (!tt.ptr<f32>) -> tensor<256x!tt.ptr<f32>>
  %abf = "tt.addptr"(%pbf, %r) : (tensor<256x!tt.ptr<f32>>, tensor<256xi32>) -> tensor<256x!tt.ptr<f32>>
  "tt.store"(%abf, %bbf) : (tensor<256x!tt.ptr<f32>>, tensor<256xf32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# Shape ops: reshape, trans, join/split, gather, histogram.
SHAPES_TTIR = """
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<i32>, !tt.ptr<f32>, !tt.ptr<f32>, !tt.ptr<i32>) -> (), sym_name = "shapes"}> ({
^bb0(%x: !tt.ptr<f32>, %idx: !tt.ptr<i32>, %ot: !tt.ptr<f32>, %og: !tt.ptr<f32>, %oh: !tt.ptr<i32>):
  %r = "tt.make_range"() <{end = 32 : i32, start = 0 : i32}> : () -> tensor<32xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<32x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %r) : (tensor<32x!tt.ptr<f32>>, tensor<32xi32>) -> tensor<32x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<32x!tt.ptr<f32>>) -> tensor<32xf32>
  %m = "tt.reshape"(%v) : (tensor<32xf32>) -> tensor<8x4xf32>
  %t = "tt.trans"(%m) <{order = array<i32: 1, 0>}> : (tensor<8x4xf32>) -> tensor<4x8xf32>
  %tf = "tt.reshape"(%t) : (tensor<4x8xf32>) -> tensor<32xf32>
  %two = "arith.constant"() <{value = dense<2.000000e+00> : tensor<32xf32>}> : () -> tensor<32xf32>
  %v2 = "arith.mulf"(%tf, %two) : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  %j = "tt.join"(%tf, %v2) : (tensor<32xf32>, tensor<32xf32>) -> tensor<32x2xf32>
  %sp:2 = "tt.split"(%j) : (tensor<32x2xf32>) -> (tensor<32xf32>, tensor<32xf32>)
  %s = "arith.subf"(%sp#1, %sp#0) : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  %tp = "tt.splat"(%ot) : (!tt.ptr<f32>) -> tensor<32x!tt.ptr<f32>>
  %ta = "tt.addptr"(%tp, %r) : (tensor<32x!tt.ptr<f32>>, tensor<32xi32>) -> tensor<32x!tt.ptr<f32>>
  "tt.store"(%ta, %s) : (tensor<32x!tt.ptr<f32>>, tensor<32xf32>) -> ()
  %ip = "tt.splat"(%idx) : (!tt.ptr<i32>) -> tensor<32x!tt.ptr<i32>>
  %ia = "tt.addptr"(%ip, %r) : (tensor<32x!tt.ptr<i32>>, tensor<32xi32>) -> tensor<32x!tt.ptr<i32>>
  %iv = "tt.load"(%ia) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<32x!tt.ptr<i32>>) -> tensor<32xi32>
  %g = "tt.gather"(%v, %iv) <{axis = 0 : i32}> : (tensor<32xf32>, tensor<32xi32>) -> tensor<32xf32>
  %gp = "tt.splat"(%og) : (!tt.ptr<f32>) -> tensor<32x!tt.ptr<f32>>
  %ga = "tt.addptr"(%gp, %r) : (tensor<32x!tt.ptr<f32>>, tensor<32xi32>) -> tensor<32x!tt.ptr<f32>>
  "tt.store"(%ga, %g) : (tensor<32x!tt.ptr<f32>>, tensor<32xf32>) -> ()
  %c8 = "arith.constant"() <{value = dense<8> : tensor<32xi32>}> : () -> tensor<32xi32>
  %ivm = "arith.remsi"(%iv, %c8) : (tensor<32xi32>, tensor<32xi32>) -> tensor<32xi32>
  %h = "tt.histogram"(%ivm) : (tensor<32xi32>) -> tensor<8xi32>
  %r8 = "tt.make_range"() <{end = 8 : i32, start = 0 : i32}> : () -> tensor<8xi32>
  %hp = "tt.splat"(%oh) : (!tt.ptr<i32>) -> tensor<8x!tt.ptr<i32>>
  %ha = "tt.addptr"(%hp, %r8) : (tensor<8x!tt.ptr<i32>>, tensor<8xi32>) -> tensor<8x!tt.ptr<i32>>
  "tt.store"(%ha, %h) : (tensor<8x!tt.ptr<i32>>, tensor<8xi32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# A kernel calling a private helper function (tt.call).
CALL_TTIR = """
"tt.func"() <{function_type = (tensor<64xf32>) -> tensor<64xf32>, sym_name = "twice_plus_one", sym_visibility = "private"}> ({
^bb0(%v: tensor<64xf32>):
  %two = "arith.constant"() <{value = dense<2.000000e+00> : tensor<64xf32>}> : () -> tensor<64xf32>
  %one = "arith.constant"() <{value = dense<1.000000e+00> : tensor<64xf32>}> : () -> tensor<64xf32>
  %a = "math.fma"(%v, %two, %one) : (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
  "tt.return"(%a) : (tensor<64xf32>) -> ()
}) : () -> ()
"tt.func"() <{function_type = (!tt.ptr<f32>, !tt.ptr<f32>) -> (), sym_name = "caller"}> ({
^bb0(%x: !tt.ptr<f32>, %y: !tt.ptr<f32>):
  %r = "tt.make_range"() <{end = 64 : i32, start = 0 : i32}> : () -> tensor<64xi32>
  %xp = "tt.splat"(%x) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %xa = "tt.addptr"(%xp, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  %v = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<64x!tt.ptr<f32>>) -> tensor<64xf32>
  %w = "tt.call"(%v) <{callee = @twice_plus_one}> : (tensor<64xf32>) -> tensor<64xf32>
  %e = "math.exp"(%w) : (tensor<64xf32>) -> tensor<64xf32>
  %yp = "tt.splat"(%y) : (!tt.ptr<f32>) -> tensor<64x!tt.ptr<f32>>
  %ya = "tt.addptr"(%yp, %r) : (tensor<64x!tt.ptr<f32>>, tensor<64xi32>) -> tensor<64x!tt.ptr<f32>>
  "tt.store"(%ya, %e) : (tensor<64x!tt.ptr<f32>>, tensor<64xf32>) -> ()
  "tt.return"() : () -> ()
}) : () -> ()
"""

# The vector add without its masks: lanes past the end are out of bounds.
UNMASKED_ADD_TTIR = (
    VECTOR_ADD_TTIR.replace(
        '%xv = "tt.load"(%xa, %mask) <{boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32, isVolatile = false, '
        'operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1024x!tt.ptr<f32>>, tensor<1024xi1>) -> tensor<1024xf32>',
        '%xv = "tt.load"(%xa) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1024x!tt.ptr<f32>>) -> tensor<1024xf32>',
    )
)
assert UNMASKED_ADD_TTIR != VECTOR_ADD_TTIR

def with_locs(ttir: str, form: str) -> str:
    """`ttir` with a source location on every op, as MLIR prints them with
    debug info: the op on text line N gets user_kernel.py:(N + 100).

    inline: loc("user_kernel.py":115:5) after the op; alias: loc(#locN) and
    `#locN = loc(...)` lines after the module; name, fused, callsite: the
    other location kinds (callsite: a helper's line N called from line N + 100).
    """
    lines = ttir.split("\n")
    aliases = []
    for n, line in enumerate(lines, start=1):
        body = line.strip()
        if not (body.startswith(("%", '"')) and " : (" in body):  # a whole op on one line
            continue
        user = f'"user_kernel.py":{n + 100}:5'
        loc = {
            "inline": user,
            "name": f'"x + y"({user})',
            "fused": f'fused[{user}, "other.py":1:1]',
            "callsite": f'callsite("helpers.py":{n}:3 at {user})',
        }.get(form)
        if form == "alias":
            aliases.append(f"#loc{n} = loc({user})")
            loc = f"#loc{n}"
        lines[n - 1] = f"{line} loc({loc})"
    return "\n".join(lines + aliases) + "\n"


VECTOR_ADD_INLINE_LOCS_TTIR = with_locs(VECTOR_ADD_TTIR, "inline")
VECTOR_ADD_ALIAS_LOCS_TTIR = with_locs(VECTOR_ADD_TTIR, "alias")


# triton.compile(path.ttir) starts after the TTIR stage (it does not inline
# tt.call nor rewrite block pointers): the compile test runs that stage first
# for these kernels.
KERNELS_NEEDING_TTIR_STAGE = {"block_ptr", "call"}

KERNELS = {
    "vector_add": VECTOR_ADD_TTIR,
    "copy2d": COPY2D_TTIR,
    "matmul_f32_ieee": matmul_ttir("f32", 2),
    "matmul_f32_tf32": matmul_ttir("f32", 0),
    "matmul_f16": matmul_ttir("f16", 2),
    "row_reduce": ROW_REDUCE_TTIR,
    "argmax": ARGMAX_TTIR,
    "atomics": ATOMIC_TTIR,
    "if": IF_TTIR,
    "while": WHILE_TTIR,
    "int_ops": INT_OPS_TTIR,
    "convert": CONVERT_TTIR,
    "scan": SCAN_TTIR,
    "block_ptr": BLOCK_PTR_TTIR,
    "call": CALL_TTIR,
    "descriptor": DESCRIPTOR_TTIR,
    "bf16_rtz": BF16_RTZ_TTIR,
    "shapes": SHAPES_TTIR,
    "unmasked_add": UNMASKED_ADD_TTIR,
    "vector_add_inline_locs": VECTOR_ADD_INLINE_LOCS_TTIR,
    "vector_add_alias_locs": VECTOR_ADD_ALIAS_LOCS_TTIR,
}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_vector_add():
    n = 10_000
    x, y = torch.randn(n), torch.randn(n)
    out = torch.full_like(x, float("nan"))
    run_ttir(VECTOR_ADD_TTIR, ((n + 1023) // 1024, 1, 1), [x, y, out, n])
    torch.testing.assert_close(out, x + y, rtol=0, atol=0)


def test_vector_add_on_views_and_module_input():
    from helion import _mlir as ir

    base = torch.randn(3000)
    x, y = base[7:2007], base[1000:3000]  # overlapping views of one storage: offsets matter
    out = torch.zeros(2500)[100:2100]
    mod = ir.Context().parse_module(VECTOR_ADD_TTIR)
    run_ttir(mod, (2, 1, 1), [x, y, out, 2000])
    torch.testing.assert_close(out, x + y, rtol=0, atol=0)
    assert (out._base[:100] == 0).all() and (out._base[2100:] == 0).all()


def test_copy2d_masked_strided():
    M, N = 37, 70
    x = torch.randn(N, M).t()  # a transposed, non-contiguous view
    out = torch.zeros(M, N + 5)[:, :N]
    grid = ((M + 15) // 16, (N + 31) // 32, 1)
    run_ttir(COPY2D_TTIR, grid, [x, out, M, N, x.stride(0), x.stride(1), out.stride(0), out.stride(1)])
    torch.testing.assert_close(out, x, rtol=0, atol=0)
    assert (out._base[:, N:] == 0).all()


@pytest.mark.parametrize("elem,precision", [("f32", 2), ("f32", 0), ("f16", 2)])
def test_matmul_scf_for_dot(elem, precision):
    M, N, K = 64, 96, 72  # K is not a multiple of the 16-wide K tile: masked loads
    dt = {"f32": torch.float32, "f16": torch.float16}[elem]
    a = torch.randn(M, K).to(dt)
    b = torch.randn(K, N).to(dt)
    c = torch.full((M, N), float("nan"))
    args = [a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1)]
    run_ttir(matmul_ttir(elem, precision), (M // 32, N // 32, 1), args)
    if precision == 0:  # TF32: inputs rounded to 10 mantissa bits
        from helion.runtime.cpu_executor.numerics import round_tf32

        ref = round_tf32(a.float()) @ round_tf32(b.float())
        torch.testing.assert_close(c, ref, rtol=1e-5, atol=1e-5)
        assert not torch.allclose(c, a @ b, rtol=1e-6, atol=1e-6)  # it really rounded
    else:
        torch.testing.assert_close(c, a.float() @ b.float(), rtol=1e-5, atol=1e-5)


def test_tf32_rounding_is_round_to_nearest_even():
    from helion.runtime.cpu_executor.numerics import round_tf32

    one = 1.0
    ulp = 2.0 ** -10
    x = torch.tensor([one + ulp / 2, one + 3 * ulp / 2, one + ulp / 2 + 2.0 ** -20, float("inf"), float("nan"), -(one + ulp / 2)])
    r = round_tf32(x)
    assert r[0] == one  # tie -> even
    assert r[1] == one + 2 * ulp  # tie -> even (up)
    assert r[2] == one + ulp  # above the tie -> up
    assert r[3] == float("inf") and torch.isnan(r[4]) and r[5] == -one


def test_row_reduce_sum_and_max():
    M, N = 10, 128
    x = torch.randn(M, N)
    x[3, 5] = float("nan")  # maxnumf ignores NaN; the sum propagates it
    s, m = torch.zeros(M), torch.zeros(M)
    run_ttir(ROW_REDUCE_TTIR, ((M + 3) // 4, 1, 1), [x, s, m, M, x.stride(0)])
    torch.testing.assert_close(s, x.sum(1), equal_nan=True)
    ref_max = torch.where(torch.isnan(x), float("-inf"), x).amax(1)
    torch.testing.assert_close(m, ref_max, rtol=0, atol=0)


def test_argmax_two_operand_reduce_with_ties():
    M = 33
    x = torch.randint(0, 5, (M, 64)).float()  # many ties: the smallest index must win
    out = torch.full((M,), -1, dtype=torch.int32)
    run_ttir(ARGMAX_TTIR, (M, 1, 1), [x, out, x.stride(0)])
    assert torch.equal(out.long(), torch.argmax(x, dim=1))


def test_atomics():
    n = 1000
    nbins = 16
    x = torch.randint(0, nbins, (n,), dtype=torch.int32)
    hist = torch.zeros(nbins)
    mx = torch.full((nbins,), -1, dtype=torch.int32)
    oldmx = torch.zeros(n, dtype=torch.int32)
    counter = torch.zeros(1, dtype=torch.int32)
    grid = (n + 127) // 128
    ticket = torch.full((grid,), -1, dtype=torch.int32)
    run_ttir(ATOMIC_TTIR, (grid, 1, 1), [x, hist, mx, oldmx, counter, ticket, n])
    torch.testing.assert_close(hist, torch.bincount(x.long(), minlength=nbins).float(), rtol=0, atol=0)
    # Sequential semantics: lanes and programs in order see every earlier update.
    cur = [-1] * nbins
    ref_old = []
    for i, b in enumerate(x.tolist()):
        ref_old.append(cur[b])
        cur[b] = max(cur[b], i)
    assert oldmx.tolist() == ref_old
    assert mx.tolist() == cur
    assert counter.item() == grid and sorted(ticket.tolist()) == list(range(grid))


def test_atomic_umax_compares_unsigned():
    from helion.runtime.cpu_executor.memory import rmw_combine
    from helion.runtime.cpu_executor.types import TypeInfo

    info = TypeInfo("i32", None, "int", torch.int32, 32)
    umax = rmw_combine(8, info)
    assert umax(torch.tensor([-1, 3], dtype=torch.int32), torch.tensor([5, 2], dtype=torch.int32)).tolist() == [-1, 3]


def test_scf_if():
    n = 300
    x = torch.randn(n)
    y = torch.zeros(n)
    run_ttir(IF_TTIR, ((n + 63) // 64, 1, 1), [x, y, n])
    blocks = torch.arange(n) // 64
    torch.testing.assert_close(y, torch.where(blocks % 2 == 0, x * 2, x + 1), rtol=0, atol=0)


def test_scf_while_scalar_load():
    vals = [1, 2, 3, 6, 7, 27, 97, 871]

    def steps(v):
        c = 0
        while v != 1:
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            c += 1
        return c

    x = torch.tensor(vals, dtype=torch.int32)
    out = torch.zeros(len(vals), dtype=torch.int32)
    run_ttir(WHILE_TTIR, (len(vals), 1, 1), [x, out])
    assert out.tolist() == [steps(v) for v in vals]


def _wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def test_integer_semantics():
    a = torch.randint(-(2 ** 31), 2 ** 31, (64,), dtype=torch.int64).to(torch.int32)
    b = torch.randint(-(2 ** 31), 2 ** 31, (64,), dtype=torch.int64).to(torch.int32)
    a[:8] = torch.tensor([-7, 7, -7, 7, -(2 ** 31), 5, -1, 100], dtype=torch.int32)
    b[:8] = torch.tensor([2, -2, -2, 2, -1, 37, 3, 7], dtype=torch.int32)
    b[b == 0] = 1
    out = torch.zeros(64 * len(_INT_OPS), dtype=torch.int32)
    run_ttir(INT_OPS_TTIR, (1, 1, 1), [a, b, out])
    got = out.reshape(len(_INT_OPS), 64).tolist()
    import math
    import struct

    def ref(name, x, y):
        ux, uy = x & 0xFFFFFFFF, y & 0xFFFFFFFF
        sh = y & 31
        if name == "divsi":
            return _wrap32(int(math.copysign(abs(x) // abs(y), x * y)) if x * y else 0)
        if name == "remsi":
            return x - y * (int(math.copysign(abs(x) // abs(y), x * y)) if x * y else 0)
        if name == "divui":
            return _wrap32(ux // uy)
        if name == "remui":
            return _wrap32(ux % uy)
        if name == "shrui":
            return _wrap32(ux >> sh)
        if name == "shrsi":
            return x >> sh
        if name == "shli":
            return _wrap32(x << sh)
        if name == "muli":
            return _wrap32(x * y)
        if name == "addi":
            return _wrap32(x + y)
        if name == "maxui":
            return x if ux >= uy else y
        if name == "minsi":
            return min(x, y)
        if name == "ult":
            return int(ux < uy)
        if name == "trunc8":
            v = x & 0xFF
            return v - 256 if v >= 128 else v
        if name == "fptosi":
            f = struct.unpack("f", struct.pack("f", float(x)))[0]  # sitofp rounds to f32
            p = struct.unpack("f", struct.pack("f", f * struct.unpack("f", struct.pack("f", 0.37))[0]))[0]
            return int(p)  # truncation toward zero
        if name == "uitofp_bits":
            return struct.unpack("i", struct.pack("f", float(ux)))[0]
        raise AssertionError(name)

    for k, (name, _) in enumerate(_INT_OPS):
        expected = [ref(name, x, y) for x, y in zip(a.tolist(), b.tolist())]
        assert got[k] == expected, name


def test_convert_bf16_and_fp8():
    x = torch.randn(64) * 100
    x[:4] = torch.tensor([1000.0, -1e6, 0.0013, -3.3])
    obf, oe4, oe5 = torch.zeros(64), torch.zeros(64), torch.zeros(64)
    run_ttir(CONVERT_TTIR, (1, 1, 1), [x, obf, oe4, oe5])
    h = x.bfloat16()
    torch.testing.assert_close(obf, (h * h + h).float(), rtol=0, atol=0)
    # fp8 conversions saturate (cvt.rn.satfinite) instead of overflowing
    torch.testing.assert_close(oe4, x.clamp(-448, 448).to(torch.float8_e4m3fn).float(), rtol=0, atol=0)
    torch.testing.assert_close(oe5, x.clamp(-57344, 57344).to(torch.float8_e5m2).float(), rtol=0, atol=0)
    assert oe4[0] == 448 and oe5[1] == -57344


def test_scan():
    x = torch.randn(128)
    xi = torch.randint(-(2 ** 31), 2 ** 31, (128,), dtype=torch.int64).to(torch.int32)
    y, yi = torch.zeros(128), torch.zeros(128, dtype=torch.int32)
    run_ttir(SCAN_TTIR, (1, 1, 1), [x, y, xi, yi])
    torch.testing.assert_close(y, torch.cumsum(x, 0), rtol=1e-5, atol=1e-5)
    ref = torch.cumsum(xi.flip(0).long(), 0).flip(0)
    assert yi.tolist() == [_wrap32(v) for v in ref.tolist()]  # reverse scan, wrapping


def test_block_pointers():
    M, N = 37, 70
    x = torch.randn(M, N + 3)[:, :N]
    y = torch.full((M, N), float("nan"))
    run_ttir(BLOCK_PTR_TTIR, ((M + 15) // 16, (N + 31) // 32, 1), [x, y, M, N, x.stride(0)])
    torch.testing.assert_close(y, x, rtol=0, atol=0)


def test_tensor_descriptors():
    M, N = 37, 72
    x = torch.randn(M, N + 4)[:, :N]
    y = torch.full((M, N), float("nan"))
    run_ttir(DESCRIPTOR_TTIR, ((M + 15) // 16, (N + 31) // 32, 1), [x, y, M, N, x.stride(0)])
    torch.testing.assert_close(y, x, rtol=0, atol=0)


def test_bf16_reduce_and_rtz_conversions():
    x = torch.randn(256) * 10
    x[:3] = torch.tensor([70000.0, -1e-8, 1.0 + 2.0 ** -12])
    s, o16, obf = torch.zeros(4), torch.zeros(256), torch.zeros(256)
    run_ttir(BF16_RTZ_TTIR, (1, 1, 1), [x, s, o16, obf])
    h = x.bfloat16().float().reshape(4, 64)
    torch.testing.assert_close(s, h.sum(1), rtol=2e-2, atol=0.5)
    assert torch.equal(s.bfloat16().float(), s)  # rounded to bf16 at every combine
    # RTZ: the largest magnitude not above |x| (the next value up in magnitude exceeds |x|)
    for out, dt, ity in ((o16, torch.float16, torch.int16), (obf, torch.bfloat16, torch.int16)):
        r = out.to(dt)
        assert torch.equal(r.float(), out)
        assert bool((out.abs() <= x.abs()).all())
        up = (r.view(ity) + 1).view(dt).float().abs()
        assert bool((up > x.abs()).all())
    assert o16[0] == 65504  # RTZ saturates to the largest finite f16 instead of inf
    assert obf[2] == 1.0


def test_shape_ops_gather_histogram():
    x = torch.randn(32)
    idx = torch.randint(0, 32, (32,), dtype=torch.int32)
    ot, og, oh = torch.zeros(32), torch.zeros(32), torch.zeros(8, dtype=torch.int32)
    run_ttir(SHAPES_TTIR, (1, 1, 1), [x, idx, ot, og, oh])
    torch.testing.assert_close(ot, x.reshape(8, 4).t().reshape(32), rtol=0, atol=0)
    torch.testing.assert_close(og, x[idx.long()], rtol=0, atol=0)
    assert oh.tolist() == torch.bincount(idx.long() % 8, minlength=8).tolist()


def test_call():
    x = torch.randn(64)
    y = torch.zeros(64)
    run_ttir(CALL_TTIR, (1, 1, 1), [x, y])  # the public function is picked
    torch.testing.assert_close(y, torch.exp(x * 2 + 1))


def test_out_of_bounds_unmasked_load_raises():
    n = 1500
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    with pytest.raises(CpuExecutionError) as e:
        run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [x, y, out, n])
    msg = str(e.value)
    assert "kernel 'vector_add'" in msg
    assert "program id (1, 0, 0)" in msg
    assert "'tt.load'" in msg and ':15:' in msg  # the op and its location (line 15 of the text)
    assert "element index 1500" in msg and "[0, 1500)" in msg
    assert "#0" in msg  # the pointer argument
    # A view's valid range is relative to its first element: the rest of the storage is legal.
    base = torch.randn(4000)
    out2 = torch.zeros(2048)
    run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [base[100:1600], base[100:1600], out2, 1500])
    with pytest.raises(CpuExecutionError, match=r"program id \(1, 0, 0\).*element index 2000 .*range \[-2000, 2000\)"):
        run_ttir(UNMASKED_ADD_TTIR, (4, 1, 1), [base[2000:3500], base, torch.zeros(4096), 1500])


def test_masked_lanes_past_the_end_are_fine():
    n = 1
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [x, y, out, n])
    assert out.item() == (x + y).item()


def test_out_of_bounds_store_raises():
    M, N = 37, 70
    x = torch.randn(M, N)
    out = torch.zeros(M * N - 1)  # one element short: the last element of the copy is out of bounds
    with pytest.raises(CpuExecutionError, match=r"program id \(2, 2, 0\).*'tt.store'.*element index 2589 .*lane \(4, 5\).*\[0, 2589\)"):
        run_ttir(COPY2D_TTIR, (3, 3, 1), [x, out, M, N, N, 1, N, 1])


def test_unknown_op_raises():
    bad = VECTOR_ADD_TTIR.replace(
        '%sum = "arith.addf"(%xv, %yv) <{fastmath = #arith.fastmath<none>}>', '%sum = "tt.frobnicate"(%xv, %yv)')
    assert bad != VECTOR_ADD_TTIR
    with pytest.raises(CpuExecutionError, match="unsupported op 'tt.frobnicate'"):
        run_ttir(bad, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 4])


def test_ops_with_locations_run():
    """Inline locations and #loc aliases are MLIR syntax the executor parses and ignores."""
    n = 1500
    x, y = torch.randn(n), torch.randn(n)
    for ttir in (VECTOR_ADD_INLINE_LOCS_TTIR, VECTOR_ADD_ALIAS_LOCS_TTIR):
        assert "loc(" in ttir
        out = torch.zeros(n)
        run_ttir(ttir, (2, 1, 1), [x, y, out, n])
        torch.testing.assert_close(out, x + y, rtol=0, atol=0)


@pytest.mark.parametrize("form,where", [
    ("inline", "user_kernel.py:115"),
    ("alias", "user_kernel.py:115"),
    ("name", "user_kernel.py:115"),
    ("fused", "user_kernel.py:115"),
    ("callsite", "helpers.py:15 (called from user_kernel.py:115)"),
])
def test_out_of_bounds_names_the_user_line(form, where):
    """With locations in the TTIR, the error names the user's file:line
    (the unmasked load is on line 15 of the text, so its user line is 115)."""
    n = 1500
    x, y, out = torch.randn(n), torch.randn(n), torch.zeros(n)
    with pytest.raises(CpuExecutionError) as e:
        run_ttir(with_locs(UNMASKED_ADD_TTIR, form), (2, 1, 1), [x, y, out, n])
    msg = str(e.value)
    assert f"'tt.load' at {where}:" in msg, msg
    assert "<ttir>" not in msg and '"-"' not in msg
    assert "program id (1, 0, 0)" in msg and "element index 1500" in msg


def test_location_falls_back_to_ttir_line_and_enclosing_op():
    # No locations in the text: the op's line in the TTIR.
    with pytest.raises(CpuExecutionError, match=r"'tt.load' at <ttir>:15:\d+: element index"):
        run_ttir(UNMASKED_ADD_TTIR, (2, 1, 1), [torch.randn(1500), torch.randn(1500), torch.zeros(1500), 1500])
    # loc(unknown) on the op: the enclosing function's location.
    ttir = UNMASKED_ADD_TTIR.replace("}) : () -> ()", '}) : () -> () loc("user_kernel.py":7:1)')
    ttir = ttir.replace("-> tensor<1024xf32>\n", "-> tensor<1024xf32> loc(unknown)\n", 1)
    with pytest.raises(CpuExecutionError, match=r"'tt.load' at user_kernel.py:7: element index"):
        run_ttir(ttir, (2, 1, 1), [torch.randn(1500), torch.randn(1500), torch.zeros(1500), 1500])


def test_unsupported_op_names_the_user_line():
    bad = with_locs(VECTOR_ADD_TTIR, "alias").replace(
        '%sum = "arith.addf"(%xv, %yv) <{fastmath = #arith.fastmath<none>}>', '%sum = "tt.frobnicate"(%xv, %yv)')
    with pytest.raises(CpuExecutionError, match=r"unsupported op 'tt.frobnicate' at user_kernel.py:119 "):
        run_ttir(bad, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 4])


def test_location_text_is_unescaped():
    from helion.runtime.cpu_executor.locations import user_location

    # as MLIR prints a path with a backslash, quotes and a non-ASCII letter
    assert user_location(r'loc("dir\\my \22k\22 \C3\A9.py":3:4)') == 'dir\\my "k" \u00e9.py:3'
    assert user_location('loc("-":3:4)') is None and user_location("loc(unknown)") is None


def test_bad_arguments_raise():
    with pytest.raises(CpuExecutionError, match="takes 4 arguments"):
        run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [torch.zeros(4)])
    with pytest.raises(CpuExecutionError, match="does not fit in i32"):
        run_ttir(VECTOR_ADD_TTIR, (1, 1, 1), [torch.zeros(4), torch.zeros(4), torch.zeros(4), 2 ** 40])


def test_plan_is_cached_and_hoists_invariants():
    k1 = compile_ttir_for_cpu(VECTOR_ADD_TTIR)
    assert compile_ttir_for_cpu(VECTOR_ADD_TTIR) is k1
    # constants, make_range, splats of arguments and the mask-independent ops run once per launch
    assert len(k1._fn.prologue) >= 5
    assert all("get_program_id" not in s.desc for s in k1._fn.prologue)


def test_division_by_zero_and_overflow_do_not_crash():
    from helion.runtime.cpu_executor.numerics import ceildivsi, divsi, floordivsi, remsi

    a = torch.tensor([7, -7, 7, -7, -(2 ** 31), 5], dtype=torch.int32)
    b = torch.tensor([2, 2, -2, -2, -1, 0], dtype=torch.int32)
    assert divsi(a, b).tolist()[:5] == [3, -3, -3, 3, -(2 ** 31)]
    assert remsi(a, b).tolist()[:5] == [1, -1, 1, -1, 0]
    assert floordivsi(a, b).tolist()[:4] == [3, -4, -4, 3]
    assert ceildivsi(a, b).tolist()[:4] == [4, -3, -3, 4]



def _ragged_add_ttir(drop_masks: bool, debug_info: bool = False):
    """TTIR of puzzle 1 (x + 10 on 1000 elements, 128-wide tiles) from the real
    compiler; with drop_masks, as if masking elimination wrongly dropped them;
    with debug_info, printed with the ops' source locations."""
    import dataclasses
    import re

    from pointwise import add_const

    from helion import Config
    from helion import _mlir as ir
    from helion.compiler import pipeline

    x = torch.randn(1000)
    bound = add_const.bind((x,))
    traced = bound.spec.traced
    config = bound.config_spec.normalize(Config(block_sizes=[128]))
    if drop_masks:
        # Simulate a masking-elimination bug: claim no tile needs its mask.
        text = re.sub(r"(tile\.(?:load|store) [^:]*\])", r"\1 {bounds_check = array<i1: false>}",
                      traced.module.to_string(debug_info=debug_info))
        traced = dataclasses.replace(traced, module=ir.Context().parse_module(text))
    if debug_info:
        module = traced.module.clone()
        module.run_passes(pipeline.pass_pipeline(config))
        return x, module.to_string(generic=True, debug_info=True)
    return x, pipeline.lower_to_ttir(traced, config)


def test_executor_catches_a_dropped_mask():
    x, good = _ragged_add_ttir(drop_masks=False)
    out = torch.full_like(x, float("nan"))
    run_ttir(good.text, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    torch.testing.assert_close(out, x + 10)
    _, bad = _ragged_add_ttir(drop_masks=True)
    assert bad.text.count("array<i32: 1, 0, 0>") == 1  # the load lost its mask
    with pytest.raises(CpuExecutionError, match=r"add_const.*program.*\(7, 0, 0\).*tt\.(load|store)"):
        run_ttir(bad.text, (bad.num_programs, 1, 1), [x, torch.empty_like(x)], kernel_name="add_const")


def test_out_of_bounds_from_the_compiler_names_the_user_line():
    """End to end: the frontend's locations survive the pass pipeline into the
    TTIR printed with debug info, and the error names the kernel's line."""
    import inspect

    from pointwise import add_const

    lines, first = inspect.getsourcelines(add_const.fn)
    line = first + next(i for i, text in enumerate(lines) if "x_tile = x[tile_n]" in text)
    x, bad = _ragged_add_ttir(drop_masks=True, debug_info=True)
    assert "loc(" in bad
    with pytest.raises(CpuExecutionError, match=rf"program id \(7, 0, 0\): out-of-bounds access by 'tt.load' at \S*pointwise.py:{line}: "):
        run_ttir(bad, (8, 1, 1), [x, torch.empty_like(x)], kernel_name="add_const")


def test_executor_catches_an_off_by_one_offset():
    x, good = _ragged_add_ttir(drop_masks=False)
    shifted = good.text.replace("{end = 128 : i32, start = 0 : i32}", "{end = 129 : i32, start = 1 : i32}")
    assert shifted != good.text
    out = torch.full_like(x, float("nan"))
    try:
        run_ttir(shifted, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    except CpuExecutionError:
        return  # caught as an out-of-bounds access
    with pytest.raises(AssertionError):
        torch.testing.assert_close(out, x + 10)

COMPILE_SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    sys.path.insert(0, os.path.dirname(sys.argv[1]))
    import triton
    from triton.backends.compiler import GPUTarget
    from test_cpu_executor import KERNELS
    from triton.compiler.compiler import IRSource, make_backend
    from test_cpu_executor import KERNELS_NEEDING_TTIR_STAGE
    d = tempfile.mkdtemp()
    target = GPUTarget("cuda", 90, 32)
    failed = []
    for name, text in KERNELS.items():
        path = os.path.join(d, name + ".ttir")
        with open(path, "w") as f:
            f.write(text)
        try:
            if name in KERNELS_NEEDING_TTIR_STAGE:
                # triton.compile skips the TTIR-stage passes for .ttir files:
                # run them (inliner, rewrite-tensor-pointer, ...) first.
                backend = make_backend(target)
                ctx = triton._C.libtriton.ir.context()
                src = IRSource(path, ctx, backend)
                opts = backend.parse_options({"num_warps": 4})
                mod = backend.make_ttir(src.make_ir(target, opts, None, None, ctx), {}, opts, 90)
                path = os.path.join(d, name + ".staged.ttir")
                with open(path, "w") as f:
                    f.write(str(mod))
            ck = triton.compile(path, target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            assert len(ck.asm["cubin"]) > 1000
            print("OK", name)
        except Exception as e:
            failed.append(name)
            print("FAIL", name, type(e).__name__, str(e)[:2000])
    sys.exit(1 if failed else 0)
    """
)


def test_kernels_compile_with_triton(tmp_path):
    """Every TTIR kernel above is valid TTIR: Triton compiles it to an sm_90 cubin."""
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT, __file__], capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-6000:]
    for name in KERNELS:
        assert f"OK {name}" in r.stdout
