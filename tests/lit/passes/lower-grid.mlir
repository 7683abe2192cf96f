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

// -----

// Three dims, dim 0 fastest: id0 = pid % n0, id1 = (pid / n0) % n1,
// id2 = pid / (n0 * n1). A grid whose size is not static gets no
// tile.num_programs.
// CHECK-LABEL: tile.kernel @three
// CHECK-NOT: tile.num_programs
// CHECK: %[[PID:.*]] = tile.program_id
// CHECK: %[[ID0:.*]] = arith.remsi %[[PID]], %[[N0:.*]] : index
// CHECK: %[[REST:.*]] = arith.divsi %[[PID]], %[[N0]] : index
// CHECK: %[[ID1:.*]] = arith.remsi %[[REST]], %[[N1:.*]] : index
// CHECK: %[[ID2:.*]] = arith.divsi %[[REST]], %[[N1]] : index
// CHECK-COUNT-3: tile.make_tile
// FOLD-LABEL: tile.kernel @three
tile.kernel @three(%x: memref<?x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %n = tile.dim %x, 0 : memref<?x8x8xf32>
  tile.grid (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c8, %c8) step (%c4, %c4, %c4) {
    %v = tile.load %x[%i, %j, %k] : memref<?x8x8xf32>[!tile.tile, !tile.tile, !tile.tile] -> tensor<4x4x4xf32>
    tile.store %v, %x[%i, %j, %k] : tensor<4x4x4xf32>, memref<?x8x8xf32>[!tile.tile, !tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
