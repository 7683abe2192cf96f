// RUN: helion-opt %s -split-input-file --convert-tile-to-triton | FileCheck %s

// The kernel becomes a public tt.func: tensors are pointers (aligned ones
// get tt.divisibility = 16), tile.num_programs is kept for the launcher and
// tile.return is tt.return. The program id is i32.
// CHECK-LABEL: "tt.func"
// CHECK: ^bb0(%arg0: !tt.ptr<f32>, %arg1: !tt.ptr<f32>, %arg2: i32):
// CHECK: %[[PID:.*]] = "tt.get_program_id"() {axis = 0 : i32} : () -> i32
// scf.for over index bounds runs over i32; carried tensors keep their types.
// CHECK: %[[SUM:.*]] = scf.for %[[IV:.*]] = %c0_i32 to %c64_i32 step %c16_i32 iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<16xf32>)  : i32 {
// CHECK:   "tt.splat"(%[[IV]]) : (i32) -> tensor<16xi32>
// CHECK:   %[[NEXT:.*]] = arith.addf %[[ACC]], %{{.*}} : tensor<16xf32>
// CHECK:   scf.yield %[[NEXT]] : tensor<16xf32>
// scf.if converts its regions too.
// CHECK: scf.if %{{.*}} {
// CHECK:   "tt.store"(%{{.*}}, %[[SUM]])
// CHECK: }
// CHECK: "tt.return"() : () -> ()
// CHECK: arg_attrs = [{tt.divisibility = 16 : i32}, {}, {}], function_type = (!tt.ptr<f32>, !tt.ptr<f32>, i32) -> (), sym_name = "loops", tile.num_programs = 1 : i64
tile.kernel @loops(%x: memref<64xf32> {tile.aligned}, %out: memref<16xf32>, %flag: i32) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %zero_i = arith.constant 0 : i32
  %pid = tile.program_id
  %init = tile.full %zero : f32 -> tensor<16xf32>
  %sum = scf.for %i = %c0 to %c64 step %c16 iter_args(%acc = %init) -> (tensor<16xf32>) {
    %t = tile.make_tile %i, %c64, %c16
    %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<64xf32>[!tile.tile] -> tensor<16xf32>
    %next = arith.addf %acc, %v : tensor<16xf32>
    scf.yield %next : tensor<16xf32>
  }
  %go = arith.cmpi ne, %flag, %zero_i : i32
  scf.if %go {
    %o = tile.make_tile %c0, %c16, %c16
    tile.store %sum, %out[%o] {bounds_check = array<i1: false>} : tensor<16xf32>, memref<16xf32>[!tile.tile]
  }
  tile.return
}

// -----

// Tile attributes: begin is the tile's start, block the constant block, end
// min(begin + block, bound), mask `begin + [0, block) < bound`, and tile.dim a
// constant of the static size.
// CHECK-LABEL: "tt.func"
// CHECK: %[[PID:.*]] = "tt.get_program_id"
// CHECK: %[[BEGIN:.*]] = arith.muli %[[PID]], %c32_i32 : i32
// CHECK: %[[END0:.*]] = arith.addi %[[BEGIN]], %c32_i32{{.*}} : i32
// CHECK: %[[END:.*]] = arith.minsi %[[END0]], %c100_i32 : i32
// CHECK: %[[R:.*]] = "tt.make_range"() {end = 32 : i32, start = 0 : i32}
// CHECK: %[[B:.*]] = "tt.splat"(%[[BEGIN]]) : (i32) -> tensor<32xi32>
// CHECK: arith.addi %[[B]], %[[R]] : tensor<32xi32>
// CHECK: %[[MI:.*]] = arith.addi %{{.*}}, %{{.*}} : tensor<32xi32>
// CHECK: %[[BOUND:.*]] = arith.constant dense<100> : tensor<32xi32>
// CHECK: arith.cmpi slt, %[[MI]], %[[BOUND]] : tensor<32xi32>
// CHECK: %[[S:.*]] = arith.addi %[[END]], %c32_i32{{.*}} : i32
// CHECK: arith.addi %[[S]], %c100_i32 : i32
// CHECK: sym_name = "tile_attrs"
tile.kernel @tile_attrs(%x: memref<100xf32>, %out: memref<100xi32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %pid = tile.program_id
  %n = tile.dim %x, 0 : memref<100xf32>
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %n, %c32
  %b = tile.begin %t
  %e = tile.end %t
  %bl = tile.block %t
  %i = tile.index %t : tensor<32xi32>
  %m = tile.mask %t : tensor<32xi1>
  %s = arith.addi %e, %bl : index
  %s2 = arith.addi %s, %n : index
  tile.return
}
