// RUN: helion-opt %s -split-input-file --helion-lower-tile-loops | FileCheck %s

// A 2-d tile.for with a carried value becomes two nested scf.for loops that
// thread the value through both levels.
// CHECK-LABEL: tile.kernel @k
// CHECK: %[[R:.*]] = scf.for %[[I:.*]] = %c0 to %c128 step %c32 iter_args(%[[A:.*]] = %{{.*}}) -> (tensor<32xf32>) {
// CHECK:   %[[R2:.*]] = scf.for %[[J:.*]] = %c0 to %c64 step %c32 iter_args(%[[B:.*]] = %[[A]]) -> (tensor<32xf32>) {
// CHECK:     tile.make_tile %[[I]], %c128, %c32
// CHECK:     tile.make_tile %[[J]], %c64, %c32
// CHECK:     scf.yield
// CHECK:   scf.yield %[[R2]]
// CHECK: tile.store %[[R]]
tile.kernel @k(%x: memref<128x64xf32>, %out: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%t) = (%c0) to (%c32) step (%c32) {
    %z = tile.full %f : f32 -> tensor<32xf32>
    %r = tile.for (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) iter_args(%a = %z) -> (tensor<32xf32>) {
      %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
      %s = tile.reduce(%v) axis = 1 : (tensor<32x32xf32>) -> tensor<32xf32> {
      ^bb0(%p: f32, %q: f32):
        %sum = arith.addf %p, %q : f32
        tile.yield %sum : f32
      }
      %n2 = arith.addf %a, %s : tensor<32xf32>
      tile.yield %n2 : tensor<32xf32>
    }
    tile.store %r, %out[%t] : tensor<32xf32>, memref<32xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Without carried values the loops nest with plain bodies; nested tile.for
// loops are lowered too (inner first), each tile a make_tile of its loop.
// CHECK-LABEL: tile.kernel @nested
// CHECK: scf.for %[[I:.*]] = %c0 to %c128 step %c32 {
// CHECK:   tile.make_tile %[[I]], %c128, %c32
// CHECK:   scf.for %[[J:.*]] = %c0 to %c64 step %c16 {
// CHECK:     %[[T:.*]] = tile.make_tile %[[J]], %c64, %c16
// CHECK:     tile.load %arg0[%{{.*}}, %[[T]]]
// CHECK-NOT: tile.for
tile.kernel @nested(%x: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  tile.grid (%t) = (%c0) to (%c32) step (%c32) {
    tile.for (%i) = (%c0) to (%m) step (%c32) {
      tile.for (%j) = (%c0) to (%n) step (%c16) {
        %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x16xf32>
        tile.yield
      }
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

// A flattened 2-d loop (Config.flatten_loops): one scf.for over the 4 x 2
// tile combinations; the last dim varies fastest, the carried value goes
// through the single loop.
// CHECK-LABEL: tile.kernel @flat
// CHECK: %[[R:.*]] = scf.for %[[V:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.*]] = %{{.*}}) -> (tensor<32xf32>) {
// CHECK-NOT: scf.for
// CHECK:   %[[J:.*]] = arith.remsi %[[V]], %{{.*}} : index
// CHECK:   %[[I:.*]] = arith.divsi %[[V]], %{{.*}} : index
// CHECK:   tile.make_tile %{{.*}}, %c128, %c32
// CHECK:   tile.make_tile %{{.*}}, %c64, %c32
// CHECK:   scf.yield
// CHECK: tile.store %[[R]]
tile.kernel @flat(%x: memref<128x64xf32>, %out: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%t) = (%c0) to (%c32) step (%c32) {
    %z = tile.full %f : f32 -> tensor<32xf32>
    %r = tile.for (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) iter_args(%a = %z) -> (tensor<32xf32>) attributes {flattened} {
      %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
      %s = tile.reduce(%v) axis = 1 : (tensor<32x32xf32>) -> tensor<32xf32> {
      ^bb0(%p: f32, %q: f32):
        %sum = arith.addf %p, %q : f32
        tile.yield %sum : f32
      }
      %n2 = arith.addf %a, %s : tensor<32xf32>
      tile.yield %n2 : tensor<32xf32>
    }
    tile.store %r, %out[%t] : tensor<32xf32>, memref<32xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}
