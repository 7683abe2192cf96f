// RUN: helion-opt %s --helion-to-ttir="block-sizes=64,32,16 loop-orders=1,0 l2-groupings=2 index-bits=64" | FileCheck %s --check-prefix=CONFIG

// Symbolic block sizes bound by the options: the grid's dims swapped by
// loop-orders, grouped by l2-groupings (a min of the group size), 64-bit
// index arithmetic.
// CONFIG-LABEL: "tt.func"
// CONFIG: %[[PID:.*]] = "tt.get_program_id"() {axis = 0 : i32} : () -> i32
// CONFIG: arith.extsi %[[PID]] : i32 to i64
// CONFIG: arith.minsi %{{.*}} : i64
// CONFIG: scf.for %{{.*}} = %c0_i64 to %c96_i64 step %c16_i64 iter_args(%{{.*}}) -> (tensor<64x32xf32>)  : i64
// CONFIG: "tt.dot"({{.*}}) {{.*}} : (tensor<64x16xbf16>, tensor<16x32xbf16>, tensor<64x32xf32>) -> tensor<64x32xf32>
// CONFIG: sym_name = "mm_symbolic", tile.num_programs = 8 : i64
tile.kernel @mm_symbolic(%a: memref<128x96xbf16>, %b: memref<96x128xbf16>, %out: memref<128x128xf32>) {
  %bm = tile.block_size 0 {extent = 128 : i64}
  %bn = tile.block_size 1 {extent = 128 : i64}
  %bk = tile.block_size 2 {extent = 96 : i64}
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %k = arith.constant 96 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %m) step (%bm, %bn) {
    %z = tile.full %f : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %acc = tile.for (%t) = (%c0) to (%k) step (%bk) iter_args(%a0 = %z) -> (tensor<?x?xf32, #tile.dims<[0, 1]>>) {
      %x = tile.load %a[%i, %t] : memref<128x96xbf16>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[0, 2]>>
      %y = tile.load %b[%t, %j] : memref<96x128xbf16>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[2, 1]>>
      %d = tile.dot %x, %y, %a0 : tensor<?x?xbf16, #tile.dims<[0, 2]>>, tensor<?x?xbf16, #tile.dims<[2, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x?xf32, #tile.dims<[0, 1]>>
      tile.yield %d : tensor<?x?xf32, #tile.dims<[0, 1]>>
    }
    tile.store %acc, %out[%i, %j] : tensor<?x?xf32, #tile.dims<[0, 1]>>, memref<128x128xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
