// RUN: helion-opt %s -split-input-file --helion-drop-unit-dims | FileCheck %s

// The canonical 3-d attention step: a grid tile of step 1 indexes dim 0, so
// the [1, M, K] loads, the running max and the accumulator lose that dim,
// the 3-d -> 2-d reshapes around the dot fold, and the reduce and
// expand_dims axes shift down by one.
// CHECK-LABEL: tile.kernel @attention_step
// CHECK: tile.grid (%[[B:.*]], %[[M:.*]]) =
// CHECK: %[[BB:.*]] = tile.begin %[[B]]
// CHECK: %[[Q:.*]] = tile.load %arg0[%[[BB]], %[[M]], %{{.*}}] : memref<8x64x32xf32>[index, !tile.tile, !tile.tile] -> tensor<16x32xf32>
// CHECK: tile.full %{{.*}} -> tensor<16x16xf32>
// CHECK: tile.for
// CHECK: tile.load %arg1[%{{.*}}, %{{.*}}, %{{.*}}] : memref<8x32x64xf32>[index, !tile.tile, !tile.tile] -> tensor<32x16xf32>
// CHECK-NOT: tile.reshape
// CHECK: %[[D:.*]] = tile.dot %[[Q]], %{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
// CHECK: tile.reduce(%[[D]]) axis = 1 : (tensor<16x16xf32>) -> tensor<16xf32>
// CHECK: tile.expand_dims %{{.*}}, 1 : tensor<16xf32> -> tensor<16x1xf32>
// CHECK: tile.broadcast %{{.*}} : tensor<16x1xf32> -> tensor<16x16xf32>
// CHECK: tile.yield %{{.*}}, %{{.*}} : tensor<16xf32>, tensor<16x16xf32>
// CHECK: tile.store %{{.*}}, %arg2[%{{.*}}, %[[M]], %{{.*}}] : tensor<16x16xf32>, memref<8x64x16xf32>[index, !tile.tile, !tile.tile]
tile.kernel @attention_step(%q: memref<8x64x32xf32>, %k: memref<8x32x64xf32>, %out: memref<8x64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  tile.grid (%b, %m) = (%c0, %c0) to (%c8, %c64) step (%c1, %c16) {
    %kd = tile.make_tile %c0, %c32, %c32
    %q3 = tile.load %q[%b, %m, %kd] : memref<8x64x32xf32>[!tile.tile, !tile.tile, !tile.tile] -> tensor<1x16x32xf32>
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %m0 = tile.full %ninf : f32 -> tensor<1x16xf32>
    %acc0 = tile.full %zero : f32 -> tensor<1x16x16xf32>
    %r:2 = tile.for (%n) = (%c0) to (%c16) step (%c16) iter_args(%mi = %m0, %acc = %acc0) -> (tensor<1x16xf32>, tensor<1x16x16xf32>) {
      %k3 = tile.load %k[%b, %kd, %n] : memref<8x32x64xf32>[!tile.tile, !tile.tile, !tile.tile] -> tensor<1x32x16xf32>
      %q2 = tile.reshape %q3 : tensor<1x16x32xf32> -> tensor<16x32xf32>
      %k2 = tile.reshape %k3 : tensor<1x32x16xf32> -> tensor<32x16xf32>
      %a2 = tile.reshape %acc : tensor<1x16x16xf32> -> tensor<16x16xf32>
      %d2 = tile.dot %q2, %k2, %a2 : tensor<16x32xf32>, tensor<32x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
      %d3 = tile.expand_dims %d2, 0 : tensor<16x16xf32> -> tensor<1x16x16xf32>
      %mx = tile.reduce(%d3) axis = 2 : (tensor<1x16x16xf32>) -> tensor<1x16xf32> {
      ^bb0(%x: f32, %y: f32):
        %z = arith.maximumf %x, %y : f32
        tile.yield %z : f32
      }
      %mn = arith.maximumf %mi, %mx : tensor<1x16xf32>
      %e = tile.expand_dims %mn, 2 : tensor<1x16xf32> -> tensor<1x16x1xf32>
      %eb = tile.broadcast %e : tensor<1x16x1xf32> -> tensor<1x16x16xf32>
      %p = arith.subf %d3, %eb : tensor<1x16x16xf32>
      tile.yield %mn, %p : tensor<1x16xf32>, tensor<1x16x16xf32>
    }
    tile.store %r#1, %out[%b, %m, %kd] : tensor<1x16x16xf32>, memref<8x64x16xf32>[!tile.tile, !tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A unit dim that a broadcast widens keeps its place, and so does every dim
// unified with it; tiles of other blocks are left alone.
// CHECK-LABEL: tile.kernel @widened
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] : memref<4x8xf32>[!tile.tile, !tile.tile] -> tensor<1x8xf32>
// CHECK: tile.broadcast %{{.*}} : tensor<1x8xf32> -> tensor<4x8xf32>
tile.kernel @widened(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%c1, %c8) step (%c1, %c8) {
    %v = tile.load %x[%i, %j] : memref<4x8xf32>[!tile.tile, !tile.tile] -> tensor<1x8xf32>
    %w = tile.broadcast %v : tensor<1x8xf32> -> tensor<4x8xf32>
    %all = tile.make_tile %c0, %c4, %c4
    tile.store %w, %y[%all, %j] : tensor<4x8xf32>, memref<4x8xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Without a unit tile nothing changes, not even static 1 dims from expand_dims.
// CHECK-LABEL: tile.kernel @no_unit_tile
// CHECK: tile.expand_dims %{{.*}}, 0 : tensor<16xf32> -> tensor<1x16xf32>
// CHECK: tile.store %{{.*}} : tensor<1x16xf32>
tile.kernel @no_unit_tile(%x: memref<64xf32>, %y: memref<1x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  tile.grid (%i) = (%c0) to (%c64) step (%c16) {
    %v = tile.load %x[%i] : memref<64xf32>[!tile.tile] -> tensor<16xf32>
    %e = tile.expand_dims %v, 0 : tensor<16xf32> -> tensor<1x16xf32>
    %one = tile.make_tile %c0, %c1, %c16
    tile.store %e, %y[%one, %i] : tensor<1x16xf32>, memref<1x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A row tile of block 1 feeding a reduction to a 1-d result: dropping the
// row dim would leave a 0-d tensor, so the whole class keeps it.
// CHECK-LABEL: tile.kernel @row_sum
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] : memref<4x32xf32>[!tile.tile, !tile.tile] -> tensor<1x32xf32>
// CHECK: tile.reduce(%{{.*}}) axis = 1 : (tensor<1x32xf32>) -> tensor<1xf32>
tile.kernel @row_sum(%x: memref<4x32xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  tile.grid (%i) = (%c0) to (%c4) step (%c1) {
    %all = tile.make_tile %c0, %c32, %c32
    %v = tile.load %x[%i, %all] : memref<4x32xf32>[!tile.tile, !tile.tile] -> tensor<1x32xf32>
    %s = tile.reduce(%v) axis = 1 : (tensor<1x32xf32>) -> tensor<1xf32> {
    ^bb0(%a: f32, %b: f32):
      %z = arith.addf %a, %b : f32
      tile.yield %z : f32
    }
    tile.store %s, %y[%i] : tensor<1xf32>, memref<4xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// An op the pass does not model (scf.while) keeps every dim: its operands,
// results and region arguments alike, so the loop's types stay consistent
// (the after region's argument alone lost its unit dim before).
// CHECK-LABEL: tile.kernel @unit_while
// CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64) -> (tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64)
// CHECK: ^bb0(%{{.*}}: tensor<1x?xf32, #tile.dims<[-1, 0]>>, %{{.*}}: i64):
  tile.kernel @unit_while(%arg0: memref<5x40xf32, strided<[40, 1]>> {tile.aligned}, %arg1: memref<5x40xf32, strided<[40, 1]>> {tile.aligned}) {
    %0 = tile.block_size 0 {extent = 40 : i64}
    %c0 = arith.constant 0 : index
    %c0_0 = arith.constant 0 : index
    %c5 = arith.constant 5 : index
    %c1 = arith.constant 1 : index
    %c0_1 = arith.constant 0 : index
    %c40 = arith.constant 40 : index
    tile.grid (%arg2, %arg3) = (%c0_0, %c0_1) to (%c5, %c40) step (%c1, %0) {
      %1 = tile.load %arg0[%arg2, %arg3] : memref<5x40xf32, strided<[40, 1]>>[!tile.tile, !tile.tile] -> tensor<1x?xf32, #tile.dims<[-1, 0]>>
      %c0_i64 = arith.constant 0 : i64
      %2:2 = scf.while (%arg4 = %1, %arg5 = %c0_i64) : (tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64) -> (tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64) {
        %c3_i64 = arith.constant 3 : i64
        %3 = arith.cmpi slt, %arg5, %c3_i64 : i64
        scf.condition(%3) %arg4, %arg5 : tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64
      } do {
      ^bb0(%arg4: tensor<1x?xf32, #tile.dims<[-1, 0]>>, %arg5: i64):
        %3 = tile.load %arg0[%arg2, %arg3] : memref<5x40xf32, strided<[40, 1]>>[!tile.tile, !tile.tile] -> tensor<1x?xf32, #tile.dims<[-1, 0]>>
        %4 = arith.addf %arg4, %3 : tensor<1x?xf32, #tile.dims<[-1, 0]>>
        tile.store %4, %arg1[%arg2, %arg3] : tensor<1x?xf32, #tile.dims<[-1, 0]>>, memref<5x40xf32, strided<[40, 1]>>[!tile.tile, !tile.tile]
        %5 = tile.load %arg0[%arg2, %arg3] : memref<5x40xf32, strided<[40, 1]>>[!tile.tile, !tile.tile] -> tensor<1x?xf32, #tile.dims<[-1, 0]>>
        %cst = arith.constant 2.000000e+00 : f32
        %6 = tile.full %cst : f32 -> tensor<1x?xf32, #tile.dims<[-1, 0]>>
        %7 = arith.mulf %5, %6 : tensor<1x?xf32, #tile.dims<[-1, 0]>>
        %c1_i64 = arith.constant 1 : i64
        %8 = arith.addi %arg5, %c1_i64 : i64
        scf.yield %7, %8 : tensor<1x?xf32, #tile.dims<[-1, 0]>>, i64
      }
      tile.yield
    }
    tile.return
  }
