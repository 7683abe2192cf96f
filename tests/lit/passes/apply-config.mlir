// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=64,32 loop-orders=1,0 l2-groupings=4" | FileCheck %s

// Block sizes become constants, #tile.dims types become static, loop_order
// and l2_grouping are recorded for the passes that follow.
// CHECK-LABEL: tile.kernel @k
// CHECK-NOT: tile.block_size
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: tile.grid ({{.*}}) step (%[[C64]], %[[C32]]) attributes {l2_grouping = 4 : i64, loop_order = array<i64: 1, 0>}
// CHECK: tile.load {{.*}} -> tensor<64x32xf32>
// CHECK: arith.negf {{.*}} : tensor<64x32xf32>
tile.kernel @k(%x: memref<100x50xf32>) {
  %b0 = tile.block_size 0 {extent = 100 : i64}
  %b1 = tile.block_size 1 {extent = 50 : i64}
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  %n = arith.constant 50 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%b0, %b1) {
    %v = tile.load %x[%i, %j] : memref<100x50xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %w = arith.negf %v : tensor<?x?xf32, #tile.dims<[0, 1]>>
    tile.store %w, %x[%i, %j] : tensor<?x?xf32, #tile.dims<[0, 1]>>, memref<100x50xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

