// RUN: helion-opt %s | FileCheck %s
// RUN: helion-opt %s | helion-opt | FileCheck %s
// RUN: helion-opt %s --mlir-print-op-generic | helion-opt | FileCheck %s

// CHECK-LABEL: tile.kernel @add
// CHECK: %[[B0:.*]] = tile.block_size 0
// CHECK: %[[N:.*]] = tile.dim %arg0, 0 : memref<?xf32>
// CHECK: tile.grid (%[[T:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[B0]]) {
// CHECK: tile.load %arg0[%[[T]]] : memref<?xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
// CHECK: arith.addf
// CHECK: tile.store %{{.*}}, %arg2[%[[T]]] : tensor<?xf32, #tile.dims<[0]>>, memref<?xf32>[!tile.tile]
// CHECK: tile.yield
// CHECK: tile.return
tile.kernel @add(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<?xf32>) {
  %b0 = tile.block_size 0
  %c0 = arith.constant 0 : index
  %n = tile.dim %x, 0 : memref<?xf32>
  tile.grid (%t) = (%c0) to (%n) step (%b0) {
    %a = tile.load %x[%t] : memref<?xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
    %b = tile.load %y[%t] : memref<?xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
    %s = arith.addf %a, %b : tensor<?xf32, #tile.dims<[0]>>
    tile.store %s, %out[%t] : tensor<?xf32, #tile.dims<[0]>>, memref<?xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// CHECK-LABEL: tile.kernel @matmul
// CHECK: tile.block_size 2 {extent = 128 : i64}
// CHECK: tile.grid (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %{{.*}}) attributes {l2_grouping = 8 : i64, loop_order = array<i64: 1, 0>} {
// CHECK: tile.full %{{.*}} : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK: %{{.*}} = tile.for (%[[K:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<?x?xf32, #tile.dims<[0, 1]>>) {
// CHECK: tile.dot %{{.*}}, %{{.*}}, %[[ACC]] {input_precision = "ieee"}
// CHECK: tile.yield %{{.*}} : tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK: arith.truncf
tile.kernel @matmul(%x: memref<128x128xbf16>, %y: memref<128x64xbf16, strided<[1, 128]>>, %out: memref<128x64xbf16> {tile.aligned}) {
  %bm = tile.block_size 0
  %bn = tile.block_size 1
  %bk = tile.block_size 2 {extent = 128 : i64}
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  tile.grid (%tm, %tn) = (%c0, %c0) to (%m, %n) step (%bm, %bn) attributes {l2_grouping = 8 : i64, loop_order = array<i64: 1, 0>} {
    %zero = arith.constant 0.0 : f32
    %acc0 = tile.full %zero : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %acc = tile.for (%tk) = (%c0) to (%m) step (%bk) iter_args(%a = %acc0) -> (tensor<?x?xf32, #tile.dims<[0, 1]>>) {
      %lx = tile.load %x[%tm, %tk] : memref<128x128xbf16>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[0, 2]>>
      %ly = tile.load %y[%tk, %tn] : memref<128x64xbf16, strided<[1, 128]>>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[2, 1]>>
      %d = tile.dot %lx, %ly, %a {input_precision = "ieee"} : tensor<?x?xbf16, #tile.dims<[0, 2]>>, tensor<?x?xbf16, #tile.dims<[2, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x?xf32, #tile.dims<[0, 1]>>
      tile.yield %d : tensor<?x?xf32, #tile.dims<[0, 1]>>
    }
    %r = arith.truncf %acc : tensor<?x?xf32, #tile.dims<[0, 1]>> to tensor<?x?xbf16, #tile.dims<[0, 1]>>
    tile.store %r, %out[%tm, %tn] : tensor<?x?xbf16, #tile.dims<[0, 1]>>, memref<128x64xbf16>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// CHECK-LABEL: tile.kernel @tiles_and_shapes
// CHECK: tile.begin
// CHECK: tile.end
// CHECK: tile.block
// CHECK: tile.index %{{.*}} : tensor<?xi32, #tile.dims<[0]>>
// CHECK: tile.mask %{{.*}} : tensor<?xi1, #tile.dims<[0]>>
// CHECK: tile.make_tile %{{.*}}, %{{.*}}, %{{.*}}
// CHECK: tile.arange 0 to 16 : tensor<16xi32>
// CHECK: tile.expand_dims %{{.*}}, 1 : tensor<?xi32, #tile.dims<[0]>> -> tensor<?x1xi32, #tile.dims<[0, -1]>>
// CHECK: tile.broadcast %{{.*}} : tensor<?x1xi32, #tile.dims<[0, -1]>> -> tensor<?x16xi32, #tile.dims<[0, -1]>>
// CHECK: tile.permute %{{.*}} [1, 0] : tensor<?x16xi32, #tile.dims<[0, -1]>> -> tensor<16x?xi32, #tile.dims<[-1, 0]>>
// CHECK: tile.reshape %{{.*}} : tensor<16x?xi32, #tile.dims<[-1, 0]>> -> tensor<?x16xi32, #tile.dims<[0, -1]>>
tile.kernel @tiles_and_shapes(%x: memref<64xi32>) {
  %b = tile.block_size 0
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%t) = (%c0) to (%c64) step (%b) {
    %begin = tile.begin %t
    %end = tile.end %t
    %bs = tile.block %t
    %i = tile.index %t : tensor<?xi32, #tile.dims<[0]>>
    %valid = tile.mask %t : tensor<?xi1, #tile.dims<[0]>>
    %t2 = tile.make_tile %c0, %c64, %b
    %r = tile.arange 0 to 16 : tensor<16xi32>
    %e = tile.expand_dims %i, 1 : tensor<?xi32, #tile.dims<[0]>> -> tensor<?x1xi32, #tile.dims<[0, -1]>>
    %bc = tile.broadcast %e : tensor<?x1xi32, #tile.dims<[0, -1]>> -> tensor<?x16xi32, #tile.dims<[0, -1]>>
    %p = tile.permute %bc [1, 0] : tensor<?x16xi32, #tile.dims<[0, -1]>> -> tensor<16x?xi32, #tile.dims<[-1, 0]>>
    %rs = tile.reshape %p : tensor<16x?xi32, #tile.dims<[-1, 0]>> -> tensor<?x16xi32, #tile.dims<[0, -1]>>
    tile.yield
  }
  tile.return
}

// -----

// CHECK-LABEL: tile.kernel @reduce_gather_atomic
// CHECK: tile.load %arg0[%{{.*}}, %{{.*}}] mask(%{{.*}} : tensor<?x8xi1, #tile.dims<[0, -1]>>) other(%{{.*}} : f32) {bounds_check = array<i1: true, false>}
// CHECK: %{{.*}}:2 = tile.reduce(%{{.*}}, %{{.*}}) axis = 1 : (tensor<?x8xf32, #tile.dims<[0, -1]>>, tensor<?x8xi32, #tile.dims<[0, -1]>>) -> (tensor<?xf32, #tile.dims<[0]>>, tensor<?xi32, #tile.dims<[0]>>)
// CHECK: tile.load %arg2[%{{.*}}] : memref<100xi64>[!tile.tile] -> tensor<?xi64, #tile.dims<[0]>>
// CHECK: tile.load %arg3[%{{.*}}, %{{.*}}] : memref<1000x8xf32>[tensor<?xi64, #tile.dims<[0]>>, index] -> tensor<?xf32, #tile.dims<[0]>>
// CHECK: tile.atomic_rmw "add" %{{.*}}, %arg1[%{{.*}}] : tensor<?xf32, #tile.dims<[0]>>, memref<64xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
tile.kernel @reduce_gather_atomic(%x: memref<64x8xf32>, %out: memref<64xf32>, %ids: memref<100xi64>, %table: memref<1000x8xf32>) {
  %b = tile.block_size 0
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%t) = (%c0) to (%c64) step (%b) {
    %c3 = arith.constant 3 : index
    %fzero = arith.constant 0.0 : f32
    %true = arith.constant true
    %m = tile.full %true : i1 -> tensor<?x8xi1, #tile.dims<[0, -1]>>
    %all = tile.block_size 1 {reduction, extent = 8 : i64}
    %c8 = arith.constant 8 : index
    tile.for (%r) = (%c0) to (%c8) step (%c8) {
      %v = tile.load %x[%t, %r] mask(%m : tensor<?x8xi1, #tile.dims<[0, -1]>>) other(%fzero : f32) {bounds_check = array<i1: true, false>} : memref<64x8xf32>[!tile.tile, !tile.tile] -> tensor<?x8xf32, #tile.dims<[0, -1]>>
      %i = tile.arange 0 to 8 : tensor<8xi32>
      %i2 = tile.expand_dims %i, 0 : tensor<8xi32> -> tensor<1x8xi32>
      %ib = tile.broadcast %i2 : tensor<1x8xi32> -> tensor<?x8xi32, #tile.dims<[0, -1]>>
      %mx:2 = tile.reduce(%v, %ib) axis = 1 : (tensor<?x8xf32, #tile.dims<[0, -1]>>, tensor<?x8xi32, #tile.dims<[0, -1]>>) -> (tensor<?xf32, #tile.dims<[0]>>, tensor<?xi32, #tile.dims<[0]>>) {
      ^bb0(%a: f32, %ai: i32, %c: f32, %ci: i32):
        %gt = arith.cmpf ogt, %c, %a : f32
        %v2 = arith.select %gt, %c, %a : f32
        %i3 = arith.select %gt, %ci, %ai : i32
        tile.yield %v2, %i3 : f32, i32
      }
      %idx = tile.load %ids[%t] : memref<100xi64>[!tile.tile] -> tensor<?xi64, #tile.dims<[0]>>
      %g = tile.load %table[%idx, %c3] : memref<1000x8xf32>[tensor<?xi64, #tile.dims<[0]>>, index] -> tensor<?xf32, #tile.dims<[0]>>
      %old = tile.atomic_rmw "add" %mx#0, %out[%t] : tensor<?xf32, #tile.dims<[0]>>, memref<64xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
      tile.yield
    }
    tile.yield
  }
  tile.return
}
