// RUN: helion-opt %s --helion-to-ttir="block-sizes=32 reduction-loops=64" --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s
// RUN: helion-opt %s --helion-to-ttir="block-sizes=32 reduction-loops=64" --mlir-print-debuginfo --mlir-print-local-scope | grep -v arith.constant | FileCheck %s --check-prefix=KNOWN

// The user's file:line:col on each tile op reaches the TTIR ops made from it,
// through every pass of the pipeline (Triton's errors then name the line).
tile.kernel @softmax_sum(%x: memref<64x200xf32>, %out: memref<64xf32>) {
  %b0 = tile.block_size 0 {extent = 64 : i64} loc("user.py":10:20)
  %r = tile.block_size 1 {extent = 200 : i64, reduction} loc("user.py":12:13)
  %c0 = arith.constant 0 : index loc("user.py":10:20)
  %c64 = arith.constant 64 : index loc("user.py":10:20)
  %c200 = arith.constant 200 : index loc("user.py":12:13)
  tile.grid (%i) = (%c0) to (%c64) step (%b0) {
    %all = tile.make_tile %c0, %c200, %r loc("user.py":12:13)
    %v = tile.load %x[%i, %all] : memref<64x200xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>> loc("user.py":12:13)
    %e = math.exp %v : tensor<?x?xf32, #tile.dims<[0, 1]>> loc("user.py":13:14)
    %s = tile.reduce(%e) axis = 1 : (tensor<?x?xf32, #tile.dims<[0, 1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
    ^bb0(%a: f32 loc("user.py":14:15), %b: f32 loc("user.py":14:15)):
      %r0 = arith.addf %a, %b : f32 loc("user.py":14:15)
      tile.yield %r0 : f32 loc("user.py":14:15)
    } loc("user.py":14:15)
    tile.store %s, %out[%i] : tensor<?xf32, #tile.dims<[0]>>, memref<64xf32>[!tile.tile] loc("user.py":15:9)
    tile.yield loc("user.py":10:5)
  } loc("user.py":10:5)
  tile.return loc("user.py":9:1)
} loc("user.py":9:1)

// CHECK: "tt.get_program_id"() {{.*}} loc("user.py":10:5)
// The peeled first chunk, then the loop over the others (roll-reductions).
// CHECK: "tt.load"({{.*}} loc("user.py":12:13)
// CHECK: math.exp {{.*}} loc("user.py":13:14)
// CHECK: scf.for {{.*}} {
// CHECK:   "tt.load"({{.*}} loc("user.py":12:13)
// CHECK:   math.exp {{.*}} loc("user.py":13:14)
// CHECK:   arith.addf {{.*}} loc("user.py":14:15)
// CHECK: } loc("user.py":14:15)
// CHECK: "tt.reduce"({{.*}}) ({
// CHECK:   "tt.reduce.return"({{.*}} loc("user.py":14:15)
// CHECK: }) {{.*}} loc("user.py":14:15)
// CHECK: "tt.store"({{.*}} loc("user.py":15:9)
// CHECK: "tt.return"() : () -> () loc("user.py":9:1)
// CHECK: sym_name = "softmax_sum"{{.*}} loc("user.py":9:1)

// No op made by a pass is left without a location (canonicalize hoists
// constants to the function entry without one, as MLIR's folder does).
// KNOWN-NOT: loc(unknown)
// KNOWN: sym_name = "softmax_sum"
