"""Hand-written TTIR kernels (generic form) for the CPU executor tests
(test_cpu_executor.py): each exercises a group of ops; KERNELS lists them all
for test_kernels_compile_with_triton, which checks that each is valid TTIR by
compiling it for sm_90."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from test_triton_interop import VECTOR_ADD_TTIR  # noqa: E402

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
INT_OPS = [
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
    for k, (name, expr) in enumerate(INT_OPS):
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
