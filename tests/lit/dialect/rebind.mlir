// RUN: helion-opt %s | FileCheck %s
// RUN: helion-opt %s --helion-apply-config="block-sizes=4" --canonicalize | FileCheck %s --check-prefix=BOUND

// tile.rebind switches a persistent reduction dim (slot 1, extent 64) to the
// static 64 of hl.zeros([tile, 64]); once apply-config binds slot 1 to 64
// both types are tensor<4x64xf32> and the rebind folds away.
// CHECK-LABEL: tile.kernel @mix
// CHECK: tile.rebind %{{.*}} : tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x64xf32, #tile.dims<[0, -1]>>
// BOUND-LABEL: tile.kernel @mix
// BOUND-NOT: tile.rebind
// BOUND: arith.addf %{{.*}}, %{{.*}} : tensor<4x64xf32>
tile.kernel @mix(%x: memref<8x64xf32>, %out: memref<8x64xf32>) {
  %b0 = tile.block_size 0 {extent = 8 : i64}
  %r = tile.block_size 1 {extent = 64 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  tile.grid (%i) = (%c0) to (%c8) step (%b0) {
    %all = tile.make_tile %c0, %c64, %r
    %v = tile.load %x[%i, %all] : memref<8x64xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %ones = tile.full %one : f32 -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %vs = tile.rebind %v : tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %s = arith.addf %vs, %ones : tensor<?x64xf32, #tile.dims<[0, -1]>>
    %c = arith.constant 0 : index
    %full = tile.make_tile %c0, %c64, %c64
    tile.store %s, %out[%i, %full] : tensor<?x64xf32, #tile.dims<[0, -1]>>, memref<8x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
