// RUN: helion-opt %s --helion-apply-config="block-sizes=64,32" | FileCheck %s


// A persistent reduction slot (reduction-loops absent = 0) becomes the next
// power of two of its extent.
// CHECK-LABEL: tile.kernel @r
// CHECK: arith.constant 128 : index
// CHECK: tile.load {{.*}} -> tensor<64x128xf32>
tile.kernel @r(%x: memref<64x100xf32>) {
  %b0 = tile.block_size 0
  %b1 = tile.block_size 1
  %r = tile.block_size 2 {reduction, extent = 100 : i64}
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  tile.grid (%i) = (%c0) to (%c64) step (%b0) {
    %all = tile.make_tile %c0, %c100, %r
    %v = tile.load %x[%i, %all] : memref<64x100xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 2]>>
    tile.yield
  }
  tile.return
}
