// RUN: helion-opt %s --helion-lower-grid="pid-type=xyz" | FileCheck %s
// RUN: helion-opt %s --helion-lower-grid="pid-type=xyz" --convert-tile-to-triton | FileCheck %s --check-prefix=TT

// pid_type=xyz: grid dim d takes its tile from program id axis d, with no id
// arithmetic; the launch shape [x, y, z] is recorded next to the total.
// CHECK-LABEL: tile.kernel @xyz2
// CHECK-SAME: tile.grid_shape = array<i64: 4, 2, 1>
// CHECK-SAME: tile.num_programs = 8 : i64
// CHECK: %[[X:.*]] = tile.program_id
// CHECK-NOT: axis
// CHECK: %[[Y:.*]] = tile.program_id axis 1
// CHECK-NOT: arith.remsi
// CHECK-NOT: arith.divsi
// CHECK: arith.muli %[[X]]
// CHECK: arith.muli %[[Y]]
// CHECK-NOT: tile.grid
// TT: "tt.get_program_id"() {axis = 0 : i32}
// TT: "tt.get_program_id"() {axis = 1 : i32}
// TT: sym_name = "xyz2", tile.grid_shape = array<i64: 4, 2, 1>, tile.num_programs = 8 : i64
tile.kernel @xyz2(%x: memref<128x64xf32>) {
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
