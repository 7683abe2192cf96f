// RUN: helion-opt %s -split-input-file --helion-reorder-loops | FileCheck %s

// loop_order [1, 0] swaps bounds, steps and body arguments; the body is
// unchanged in meaning.
// CHECK-LABEL: tile.kernel @swap
// CHECK: tile.grid (%[[A:.*]], %[[B:.*]]) = (%c0, %c0) to (%[[N:.*]], %[[M:.*]]) step (%[[SN:.*]], %[[SM:.*]]) {
// CHECK-NOT: loop_order
// CHECK: tile.load %arg0[%[[B]], %[[A]]]
// CHECK: tile.for (%[[Q:.*]], %[[P:.*]]) = (%c0, %c0) to (%[[N]], %[[M]])
// CHECK: tile.load %arg0[%[[P]], %[[Q]]]
tile.kernel @swap(%x: memref<100x50xf32>) {
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

// -----

// A 3-d rotation [2, 0, 1]: new dim i is old dim order[i]; loop-carried
// values stay after the tiles.
// CHECK-LABEL: tile.kernel @rotate
// CHECK: tile.for (%[[C:.*]], %[[A:.*]], %[[B:.*]]) = (%c0, %c0, %c0) to (%c4, %c2, %c3) step (%c1, %c1, %c1) iter_args(%[[ACC:.*]] = %{{.*}}) -> (index)
// CHECK: tile.begin %[[A]]
// CHECK: tile.begin %[[B]]
// CHECK: tile.begin %[[C]]
// CHECK: arith.addi %[[ACC]]
tile.kernel @rotate(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  tile.grid (%t) = (%c0) to (%c4) step (%c4) {
    %r = tile.for (%a, %b, %c) = (%c0, %c0, %c0) to (%c2, %c3, %c4) step (%c1, %c1, %c1) iter_args(%acc = %c0) -> (index) attributes {loop_order = array<i64: 2, 0, 1>} {
      %ba = tile.begin %a
      %bb = tile.begin %b
      %bc = tile.begin %c
      %s = arith.addi %acc, %ba : index
      tile.yield %s : index
    }
    tile.yield
  }
  tile.return
}

// -----

// Loops without loop_order, and identity orders, are left as they are.
// CHECK-LABEL: tile.kernel @untouched
// CHECK: tile.grid (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%c100, %c50) step (%c64, %c16) {
// CHECK: tile.load %arg0[%[[I]], %[[J]]]
// CHECK: tile.for (%[[P:.*]], %[[Q:.*]]) = (%c0, %c0) to (%c100, %c50) step (%c64, %c16) {
// CHECK: tile.load %arg0[%[[P]], %[[Q]]]
tile.kernel @untouched(%x: memref<100x50xf32>) {
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  %n = arith.constant 50 : index
  %sm = arith.constant 64 : index
  %sn = arith.constant 16 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%sm, %sn) {
    %v = tile.load %x[%i, %j] : memref<100x50xf32>[!tile.tile, !tile.tile] -> tensor<64x16xf32>
    tile.for (%p, %q) = (%c0, %c0) to (%m, %n) step (%sm, %sn) attributes {loop_order = array<i64: 0, 1>} {
      %w = tile.load %x[%p, %q] : memref<100x50xf32>[!tile.tile, !tile.tile] -> tensor<64x16xf32>
      tile.yield
    }
    tile.yield
  }
  tile.return
}
