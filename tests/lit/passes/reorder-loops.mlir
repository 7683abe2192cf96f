// RUN: helion-opt %s --helion-reorder-loops | FileCheck %s

// loop_order [1, 0] swaps bounds, steps and body arguments; the body is
// unchanged in meaning.
// CHECK-LABEL: tile.kernel @k
// CHECK: tile.grid (%[[A:.*]], %[[B:.*]]) = (%c0, %c0) to (%[[N:.*]], %[[M:.*]]) step (%[[SN:.*]], %[[SM:.*]]) {
// CHECK-NOT: loop_order
// CHECK: tile.load %arg0[%[[B]], %[[A]]]
// CHECK: tile.for (%[[Q:.*]], %[[P:.*]]) = (%c0, %c0) to (%[[N]], %[[M]])
// CHECK: tile.load %arg0[%[[P]], %[[Q]]]
tile.kernel @k(%x: memref<100x50xf32>) {
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  %n = arith.constant 50 : index
  %sm = arith.constant 64 : index
  %sn = arith.constant 16 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%sm, %sn) attributes {loop_order = array<i64: 1, 0>} {
    %v = tile.load %x[%i, %j] : memref<100x50xf32>[!tile.tile, !tile.tile] -> tensor<64x16xf32>
    tile.for (%p, %q) = (%c0, %c0) to (%m, %n) step (%sm, %sn) attributes {loop_order = array<i64: 1, 0>} {
      %w = tile.load %x[%p, %q] : memref<100x50xf32>[!tile.tile, !tile.tile] -> tensor<64x16xf32>
      tile.yield
    }
    tile.yield
  }
  tile.return
}
