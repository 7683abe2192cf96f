// RUN: helion-opt %s -split-input-file --helion-lower-grid | FileCheck %s
// RUN: helion-opt %s -split-input-file --helion-lower-grid --canonicalize | FileCheck %s --check-prefix=FOLD

// Flat mapping: dim 0 varies fastest.
// CHECK-LABEL: tile.kernel @flat
// CHECK-SAME: attributes {tile.num_programs = 8 : i64}
// CHECK: %[[PID:.*]] = tile.program_id
// CHECK: %[[I0:.*]] = arith.remsi %[[PID]], %{{.*}} : index
// CHECK: %[[I1:.*]] = arith.divsi %[[PID]], %{{.*}} : index
// CHECK: tile.make_tile
// CHECK-NOT: tile.grid
// FOLD-LABEL: tile.kernel @flat
// FOLD: %[[PID:.*]] = tile.program_id
// FOLD: arith.remsi %[[PID]], %c4
tile.kernel @flat(%x: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) {
    %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
    %w = arith.negf %v : tensor<32x32xf32>
    tile.store %w, %x[%i, %j] : tensor<32x32xf32>, memref<128x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// L2 grouping: groups of 2 tiles of dim 0 per tile of dim 1.
// CHECK-LABEL: tile.kernel @grouped
// CHECK: tile.program_id
// CHECK: arith.minsi
// CHECK-COUNT-2: tile.make_tile
tile.kernel @grouped(%x: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) attributes {l2_grouping = 2 : i64} {
    %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
    %w = arith.negf %v : tensor<32x32xf32>
    tile.store %w, %x[%i, %j] : tensor<32x32xf32>, memref<128x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
