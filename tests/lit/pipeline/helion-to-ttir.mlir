// RUN: helion-opt %s --helion-to-ttir | FileCheck %s

// The whole compilation of a kernel for one Config, as Python runs it.
// A kernel with constant block sizes needs no options.

// CHECK-LABEL: "tt.func"
// CHECK: tt.get_program_id
// CHECK: scf.for
// CHECK: "tt.make_range"() {end = 64 : i32, start = 0 : i32}
// The A tile is unmasked (128 % 64 == 0, 96 % 32 == 0).
// CHECK: "tt.load"(%{{[0-9]+}}) {{.*}}operandSegmentSizes = array<i32: 1, 0, 0>
// B's column dim (50 % 32 != 0) keeps a mask with zero fill.
// CHECK: arith.cmpi slt
// CHECK: "tt.load"(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}) {{.*}}operandSegmentSizes = array<i32: 1, 1, 1>
// CHECK: "tt.dot"({{.*}}) {inputPrecision = 2 : i32, maxNumImpreciseAcc = 0 : i32}
// CHECK: "tt.store"
// CHECK: "tt.return"
// CHECK: arg_attrs = [{tt.divisibility = 16 : i32}, {}, {}], function_type = (!tt.ptr<bf16>, !tt.ptr<bf16>, !tt.ptr<f32>) -> (), sym_name = "mm"
tile.kernel @mm(%a: memref<128x96xbf16> {tile.aligned}, %b: memref<96x50xbf16>, %out: memref<128x50xf32>) attributes {} {
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %n = arith.constant 50 : index
  %k = arith.constant 96 : index
  %c64 = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c64, %c32) {
    %z = tile.full %f : f32 -> tensor<64x32xf32>
    %acc = tile.for (%t) = (%c0) to (%k) step (%c32) iter_args(%a0 = %z) -> (tensor<64x32xf32>) {
      %x = tile.load %a[%i, %t] : memref<128x96xbf16>[!tile.tile, !tile.tile] -> tensor<64x32xbf16>
      %y = tile.load %b[%t, %j] : memref<96x50xbf16>[!tile.tile, !tile.tile] -> tensor<32x32xbf16>
      %d = tile.dot %x, %y, %a0 {input_precision = "ieee"} : tensor<64x32xbf16>, tensor<32x32xbf16>, tensor<64x32xf32> -> tensor<64x32xf32>
      tile.yield %d : tensor<64x32xf32>
    }
    tile.store %acc, %out[%i, %j] : tensor<64x32xf32>, memref<128x50xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

