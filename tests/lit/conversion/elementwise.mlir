// RUN: helion-opt %s -split-input-file --convert-tile-to-triton | FileCheck %s
// RUN: helion-opt %s -split-input-file --convert-tile-to-triton=index-bits=64 | FileCheck %s --check-prefix=I64

// arith and math ops keep their names and attributes; index scalars become
// i32 (i64 with index-bits=64); tile.full of a constant is a dense constant,
// of a value a tt.splat.
// CHECK-LABEL: "tt.func"
// CHECK: %[[X:.*]] = "tt.load"({{.*}}) -> tensor<16xf32>
// CHECK: %[[E:.*]] = math.exp %[[X]] : tensor<16xf32>
// CHECK: %[[HALF:.*]] = arith.constant dense<5.000000e-01> : tensor<16xf32>
// CHECK: %[[M:.*]] = arith.mulf %[[E]], %[[HALF]] fastmath<contract> : tensor<16xf32>
// CHECK: %[[SCALE:.*]] = "tt.splat"(%arg2) : (f32) -> tensor<16xf32>
// CHECK: arith.maximumf %[[M]], %[[SCALE]] : tensor<16xf32>
// CHECK: %[[N:.*]] = arith.addi %arg1, %c1_i32 : i32
// CHECK: arith.extsi %[[N]] : i32 to i64
// CHECK: arith.truncf %{{.*}} : tensor<16xf32> to tensor<16xbf16>
// CHECK: sym_name = "math"
// I64-LABEL: "tt.func"
// I64: ^bb0(%arg0: !tt.ptr<f32>, %arg1: i64, %arg2: f32, %arg3: !tt.ptr<bf16>):
// I64: %[[N:.*]] = arith.addi %arg1, %c1_i64 : i64
// I64-NOT: arith.extsi %[[N]]
tile.kernel @math(%x: memref<16xf32>, %n: index, %scale: f32, %out: memref<16xbf16>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %half = arith.constant 0.5 : f32
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c16, %c16
  %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<16xf32>[!tile.tile] -> tensor<16xf32>
  %e = math.exp %v : tensor<16xf32>
  %h = tile.full %half : f32 -> tensor<16xf32>
  %m = arith.mulf %e, %h fastmath<contract> : tensor<16xf32>
  %s = tile.full %scale : f32 -> tensor<16xf32>
  %r = arith.maximumf %m, %s : tensor<16xf32>
  %n1 = arith.addi %n, %c1 : index
  %n64 = arith.index_cast %n1 : index to i64
  %b = arith.truncf %r : tensor<16xf32> to tensor<16xbf16>
  tile.store %b, %out[%t] {bounds_check = array<i1: false>} : tensor<16xbf16>, memref<16xbf16>[!tile.tile]
  tile.return
}

// -----

// Shape ops: arange is a make_range (cast to the element type), expand_dims
// and broadcast keep their Triton names, reshape is tt.reshape (order kept),
// permute is tt.trans with the permutation as its order.
// CHECK-LABEL: "tt.func"
// CHECK: %[[R:.*]] = "tt.make_range"() {end = 24 : i32, start = 8 : i32} : () -> tensor<16xi32>
// CHECK: %[[R64:.*]] = arith.extsi %[[R]] : tensor<16xi32> to tensor<16xi64>
// CHECK: %[[E:.*]] = "tt.expand_dims"(%[[R64]]) {axis = 0 : i32} : (tensor<16xi64>) -> tensor<1x16xi64>
// CHECK: %[[B:.*]] = "tt.broadcast"(%[[E]]) : (tensor<1x16xi64>) -> tensor<4x16xi64>
// CHECK: %[[T:.*]] = "tt.trans"(%[[B]]) {order = array<i32: 1, 0>} : (tensor<4x16xi64>) -> tensor<16x4xi64>
// CHECK: "tt.reshape"(%[[T]]) : (tensor<16x4xi64>) -> tensor<64xi64>
// CHECK: sym_name = "shapes"
tile.kernel @shapes(%out: memref<64xi64>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c64, %c64
  %r = tile.arange 8 to 24 : tensor<16xi64>
  %e = tile.expand_dims %r, 0 : tensor<16xi64> -> tensor<1x16xi64>
  %b = tile.broadcast %e : tensor<1x16xi64> -> tensor<4x16xi64>
  %p = tile.permute %b [1, 0] : tensor<4x16xi64> -> tensor<16x4xi64>
  %f = tile.reshape %p : tensor<16x4xi64> -> tensor<64xi64>
  tile.store %f, %out[%t] {bounds_check = array<i1: false>} : tensor<64xi64>, memref<64xi64>[!tile.tile]
  tile.return
}
