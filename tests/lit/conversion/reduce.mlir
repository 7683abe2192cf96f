// RUN: helion-opt %s -split-input-file --convert-tile-to-triton | FileCheck %s

// A sum over axis 1: the combine region is converted in place and ends in
// tt.reduce.return.
// CHECK-LABEL: "tt.func"
// CHECK: %[[V:.*]] = "tt.load"({{.*}}) -> tensor<8x64xf32>
// CHECK: %[[S:.*]] = "tt.reduce"(%[[V]]) ({
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK:   %[[R:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK:   "tt.reduce.return"(%[[R]]) : (f32) -> ()
// CHECK: }) {axis = 1 : i32} : (tensor<8x64xf32>) -> tensor<8xf32>
// CHECK: "tt.store"(%{{.*}}, %[[S]])
// CHECK: sym_name = "row_sum"
tile.kernel @row_sum(%x: memref<8x64xf32>, %out: memref<8xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id
  %tm = tile.make_tile %c0, %c8, %c8
  %tn = tile.make_tile %c0, %c64, %c64
  %v = tile.load %x[%tm, %tn] {bounds_check = array<i1: false, false>} : memref<8x64xf32>[!tile.tile, !tile.tile] -> tensor<8x64xf32>
  %s = tile.reduce(%v) axis = 1 : (tensor<8x64xf32>) -> tensor<8xf32> {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    tile.yield %r : f32
  }
  tile.store %s, %out[%tm] {bounds_check = array<i1: false>} : tensor<8xf32>, memref<8xf32>[!tile.tile]
  tile.return
}

// -----

// Argmax: two operands reduced together over axis 0 of a 1-d tile give two
// scalars; the region takes and returns both.
// CHECK-LABEL: "tt.func"
// CHECK: %[[R:.*]]:2 = "tt.reduce"(%{{.*}}, %{{.*}}) ({
// CHECK: ^bb0(%[[AV:.*]]: f32, %[[AI:.*]]: i32, %[[NV:.*]]: f32, %[[NI:.*]]: i32):
// CHECK:   %[[GT:.*]] = arith.cmpf ogt, %[[NV]], %[[AV]] : f32
// CHECK:   "tt.reduce.return"(%{{.*}}, %{{.*}}) : (f32, i32) -> ()
// CHECK: }) {axis = 0 : i32} : (tensor<64xf32>, tensor<64xi32>) -> (f32, i32)
// CHECK: "tt.store"(%{{.*}}, %[[R]]#1)
// CHECK: sym_name = "argmax"
tile.kernel @argmax(%x: memref<64xf32>, %out: memref<1xi32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c64, %c64
  %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<64xf32>[!tile.tile] -> tensor<64xf32>
  %i = tile.index %t : tensor<64xi32>
  %m:2 = tile.reduce(%v, %i) axis = 0 : (tensor<64xf32>, tensor<64xi32>) -> (f32, i32) {
  ^bb0(%av: f32, %ai: i32, %nv: f32, %ni: i32):
    %gt = arith.cmpf ogt, %nv, %av : f32
    %v1 = arith.select %gt, %nv, %av : f32
    %i1 = arith.select %gt, %ni, %ai : i32
    tile.yield %v1, %i1 : f32, i32
  }
  tile.store %m#1, %out[%c0] : i32, memref<1xi32>[index]
  tile.return
}

// -----

// A reverse scan: tt.scan with its combine region ending in tt.scan.return.
// CHECK-LABEL: "tt.func"
// CHECK: %[[V:.*]] = "tt.load"({{.*}}) -> tensor<8x64xf32>
// CHECK: %[[S:.*]] = "tt.scan"(%[[V]]) ({
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK:   %[[R:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK:   "tt.scan.return"(%[[R]]) : (f32) -> ()
// CHECK: }) {axis = 1 : i32, reverse = true} : (tensor<8x64xf32>) -> tensor<8x64xf32>
// CHECK: "tt.store"(%{{.*}}, %[[S]])
// CHECK: sym_name = "row_cumsum"
tile.kernel @row_cumsum(%x: memref<8x64xf32>, %out: memref<8x64xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id
  %tm = tile.make_tile %c0, %c8, %c8
  %tn = tile.make_tile %c0, %c64, %c64
  %v = tile.load %x[%tm, %tn] {bounds_check = array<i1: false, false>} : memref<8x64xf32>[!tile.tile, !tile.tile] -> tensor<8x64xf32>
  %s = tile.scan(%v) axis = 1 {reverse} : (tensor<8x64xf32>) -> tensor<8x64xf32> {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    tile.yield %r : f32
  }
  tile.store %s, %out[%tm, %tn] {bounds_check = array<i1: false, false>} : tensor<8x64xf32>, memref<8x64xf32>[!tile.tile, !tile.tile]
  tile.return
}
