// RUN: helion-opt %s -split-input-file --convert-tile-to-triton | FileCheck %s

// input_precision maps to Triton's enum (tf32 0, tf32x3 1, ieee 2, bf16x3 3);
// the accumulator is the third operand and the result type.
// CHECK-LABEL: "tt.func"
// CHECK: %[[A:.*]] = "tt.load"({{.*}}) -> tensor<32x16xf32>
// CHECK: %[[B:.*]] = "tt.load"({{.*}}) -> tensor<16x64xf32>
// CHECK: %[[ACC:.*]] = arith.constant dense<0.000000e+00> : tensor<32x64xf32>
// CHECK: %[[D0:.*]] = "tt.dot"(%[[A]], %[[B]], %[[ACC]]) {inputPrecision = 0 : i32, maxNumImpreciseAcc = 0 : i32} : (tensor<32x16xf32>, tensor<16x64xf32>, tensor<32x64xf32>) -> tensor<32x64xf32>
// CHECK: %[[D1:.*]] = "tt.dot"(%[[A]], %[[B]], %[[D0]]) {inputPrecision = 1 : i32
// CHECK: %[[D2:.*]] = "tt.dot"(%[[A]], %[[B]], %[[D1]]) {inputPrecision = 2 : i32
// CHECK: "tt.dot"(%[[A]], %[[B]], %[[D2]]) {inputPrecision = 3 : i32
// CHECK: sym_name = "precisions"
tile.kernel @precisions(%x: memref<32x16xf32>, %y: memref<16x64xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id
  %tm = tile.make_tile %c0, %c32, %c32
  %tk = tile.make_tile %c0, %c16, %c16
  %tn = tile.make_tile %c0, %c64, %c64
  %a = tile.load %x[%tm, %tk] {bounds_check = array<i1: false, false>} : memref<32x16xf32>[!tile.tile, !tile.tile] -> tensor<32x16xf32>
  %b = tile.load %y[%tk, %tn] {bounds_check = array<i1: false, false>} : memref<16x64xf32>[!tile.tile, !tile.tile] -> tensor<16x64xf32>
  %acc = tile.full %zero : f32 -> tensor<32x64xf32>
  %d0 = tile.dot %a, %b, %acc : tensor<32x16xf32>, tensor<16x64xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
  %d1 = tile.dot %a, %b, %d0 {input_precision = "tf32x3"} : tensor<32x16xf32>, tensor<16x64xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
  %d2 = tile.dot %a, %b, %d1 {input_precision = "ieee"} : tensor<32x16xf32>, tensor<16x64xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
  %d3 = tile.dot %a, %b, %d2 {input_precision = "bf16x3"} : tensor<32x16xf32>, tensor<16x64xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
  tile.return
}

// -----

// Batched (3-d) dots and fp8 operands of two formats pass through as tt.dot.
// CHECK-LABEL: "tt.func"
// CHECK: "tt.dot"(%{{.*}}, %{{.*}}, %{{.*}}) {{.*}} : (tensor<2x16x32xbf16>, tensor<2x32x16xbf16>, tensor<2x16x16xf32>) -> tensor<2x16x16xf32>
// CHECK: "tt.dot"(%{{.*}}, %{{.*}}, %{{.*}}) {{.*}} : (tensor<16x32xf8E4M3FN>, tensor<32x16xf8E5M2>, tensor<16x16xf32>) -> tensor<16x16xf32>
// CHECK: sym_name = "batched_fp8"
tile.kernel @batched_fp8(%x: memref<2x16x32xbf16>, %y: memref<2x32x16xbf16>, %p: memref<16x32xf8E4M3FN>, %q: memref<32x16xf8E5M2>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id
  %tb = tile.make_tile %c0, %c2, %c2
  %tm = tile.make_tile %c0, %c16, %c16
  %tk = tile.make_tile %c0, %c32, %c32
  %a = tile.load %x[%tb, %tm, %tk] {bounds_check = array<i1: false, false, false>} : memref<2x16x32xbf16>[!tile.tile, !tile.tile, !tile.tile] -> tensor<2x16x32xbf16>
  %b = tile.load %y[%tb, %tk, %tm] {bounds_check = array<i1: false, false, false>} : memref<2x32x16xbf16>[!tile.tile, !tile.tile, !tile.tile] -> tensor<2x32x16xbf16>
  %acc3 = tile.full %zero : f32 -> tensor<2x16x16xf32>
  %d = tile.dot %a, %b, %acc3 : tensor<2x16x32xbf16>, tensor<2x32x16xbf16>, tensor<2x16x16xf32> -> tensor<2x16x16xf32>
  %e4 = tile.load %p[%tm, %tk] {bounds_check = array<i1: false, false>} : memref<16x32xf8E4M3FN>[!tile.tile, !tile.tile] -> tensor<16x32xf8E4M3FN>
  %e5 = tile.load %q[%tk, %tm] {bounds_check = array<i1: false, false>} : memref<32x16xf8E5M2>[!tile.tile, !tile.tile] -> tensor<32x16xf8E5M2>
  %acc2 = tile.full %zero : f32 -> tensor<16x16xf32>
  %f = tile.dot %e4, %e5, %acc2 : tensor<16x32xf8E4M3FN>, tensor<32x16xf8E5M2>, tensor<16x16xf32> -> tensor<16x16xf32>
  tile.return
}
