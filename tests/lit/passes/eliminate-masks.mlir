// RUN: helion-opt %s -split-input-file --helion-eliminate-masks | FileCheck %s

// Dim 0: 128 / 64 divides -> no mask. Dim 1: 100 / 32 does not -> mask kept.
// Scalar indices never need one. A make_tile that ends inside its bound needs
// none; one that may run past it keeps its mask.
// CHECK-LABEL: tile.kernel @k
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, true>}
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, false>}
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, true>}
// CHECK: %[[TRUE:.*]] = arith.constant dense<true> : tensor<64xi1>
// CHECK: %[[KEPT:.*]] = tile.mask %{{.*}} : tensor<32xi1>
// CHECK: arith.select %[[TRUE]]
// CHECK: arith.select %[[KEPT]]
// CHECK: tile.store {{.*}} {bounds_check = array<i1: false, true>}
tile.kernel @k(%x: memref<128x100xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %m = arith.constant 128 : index
  %n = arith.constant 100 : index
  %c64 = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c64, %c32) {
    %v = tile.load %x[%i, %j] : memref<128x100xf32>[!tile.tile, !tile.tile] -> tensor<64x32xf32>
    %s = tile.load %x[%i, %c3] : memref<128x100xf32>[!tile.tile, index] -> tensor<64xf32>
    %inside = tile.make_tile %c0, %n, %c32
    %w = tile.load %x[%i, %inside] : memref<128x100xf32>[!tile.tile, !tile.tile] -> tensor<64x32xf32>
    %past = tile.make_tile %c0, %n, %c128
    %u = tile.load %x[%i, %past] : memref<128x100xf32>[!tile.tile, !tile.tile] -> tensor<64x128xf32>
    %full = tile.mask %i : tensor<64xi1>
    %part = tile.mask %j : tensor<32xi1>
    %z64 = arith.constant dense<0.0> : tensor<64xf32>
    %z32 = arith.constant dense<0.0> : tensor<32xf32>
    %s1 = arith.select %full, %s, %z64 : tensor<64xi1>, tensor<64xf32>
    %s2 = arith.select %part, %z32, %z32 : tensor<32xi1>, tensor<32xf32>
    tile.store %v, %x[%i, %j] : tensor<64x32xf32>, memref<128x100xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A causal inner loop `0 to tile_m.end step b`: tile_m.end is
// min(begin + 128, 4096), a multiple of 128, so steps of 64 always give full
// tiles (no mask); steps of 48 do not. The divisibility follows tile.end,
// tile.begin and the index arithmetic on them.
// CHECK-LABEL: tile.kernel @causal
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, false>}
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, false>}
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] {bounds_check = array<i1: false, true>}
tile.kernel @causal(%x: memref<4096x4096xf32>) {
  %c0 = arith.constant 0 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %m = arith.constant 4096 : index
  tile.grid (%i) = (%c0) to (%m) step (%c128) {
    %end = tile.end %i
    tile.for (%j) = (%c0) to (%end) step (%c64) {
      %v = tile.load %x[%i, %j] : memref<4096x4096xf32>[!tile.tile, !tile.tile] -> tensor<128x64xf32>
      tile.yield
    }
    %begin = tile.begin %i
    %twice = arith.addi %begin, %c256 : index
    tile.for (%j) = (%begin) to (%twice) step (%c64) {
      %v = tile.load %x[%i, %j] : memref<4096x4096xf32>[!tile.tile, !tile.tile] -> tensor<128x64xf32>
      tile.yield
    }
    tile.for (%j) = (%c0) to (%end) step (%c48) {
      %v = tile.load %x[%i, %j] : memref<4096x4096xf32>[!tile.tile, !tile.tile] -> tensor<128x48xf32>
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

// A user mask and earlier bounds_check flags are kept: the pass only narrows
// the flags, never widens them (the first dim was already proven in bounds).
// CHECK-LABEL: tile.kernel @narrow_only
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] mask(%{{.*}} : tensor<32x32xi1>) {bounds_check = array<i1: false, false>}
tile.kernel @narrow_only(%x: memref<100x64xf32>, %keep: i1) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %m = arith.constant 100 : index
  %n = arith.constant 64 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) {
    %mask = tile.full %keep : i1 -> tensor<32x32xi1>
    %v = tile.load %x[%i, %j] mask(%mask : tensor<32x32xi1>) {bounds_check = array<i1: false, true>} : memref<100x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
    tile.yield
  }
  tile.return
}
