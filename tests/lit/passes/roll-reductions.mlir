// RUN: helion-opt %s --split-input-file --helion-roll-reductions="reduction-loops=64" | FileCheck %s
// RUN: helion-opt %s --split-input-file --helion-roll-reductions="reduction-loops=0" | FileCheck %s --check-prefix=PERSISTENT
// RUN: helion-opt %s --split-input-file --helion-roll-reductions="reduction-loops=256" | FileCheck %s --check-prefix=PERSISTENT
// RUN: helion-opt %s --split-input-file --helion-roll-reductions="reduction-loops=64" --helion-apply-config="block-sizes=4" | FileCheck %s --check-prefix=BOUND
// RUN: helion-opt %s --split-input-file --helion-to-ttir='block-sizes=4 reduction-loops=64' | FileCheck %s --check-prefix=TTIR

// Softmax over rows of 200: max, exp-sum, normalize and store. Looped by 64,
// each sink gets its own chunk loop: the max and the sum peel chunk [0, 64),
// combine the chunks [64, 200) lane by lane with their combine region and
// reduce once after the loop; the store loops over every chunk. A make_tile
// over the whole extent becomes the loop's tile.
// CHECK-LABEL: tile.kernel @softmax
// CHECK: %[[R:.*]] = tile.block_size 1 {extent = 200 : i64, looped_block = 64 : i64, reduction}
// CHECK: tile.grid
// CHECK:   %[[T0:.*]] = tile.make_tile %c0, %c200, %[[R]]
// CHECK:   %[[X0:.*]] = tile.load %{{.*}}[%{{.*}}, %[[T0]]]
// CHECK:   %[[MAX:.*]] = tile.for (%[[T:.*]]) = (%c64{{.*}}) to (%c200{{.*}}) step (%[[R]]) iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK:     tile.load %{{.*}}[%{{.*}}, %[[T]]]
// CHECK:     tile.mask %[[T]]
// CHECK:     %[[M:.*]] = arith.maximumf %[[ACC]], %{{.*}} : tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK:     tile.yield %[[M]]
// CHECK:   tile.reduce(%[[MAX]]) axis = 1
// CHECK:     arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK:   tile.for
// CHECK:     math.exp
// CHECK:     arith.addf %{{.*}}, %{{.*}} : tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK:   tile.reduce
// CHECK:     arith.addf %{{.*}}, %{{.*}} : f32
// CHECK:   tile.for (%{{.*}}) = (%c0{{.*}}) to (%c200{{.*}}) step (%[[R]]) {
// CHECK:     arith.divf
// CHECK:     tile.store
// CHECK-NOT: tile.store
// CHECK:   tile.yield

// PERSISTENT-LABEL: tile.kernel @softmax
// PERSISTENT-NOT: looped_block
// PERSISTENT-NOT: tile.for

// The chunk size becomes the block size of the slot.
// BOUND-LABEL: tile.kernel @softmax
// BOUND: tile.for (%{{.*}}) = (%c64{{.*}}) to (%c200{{.*}}) step (%c64{{.*}}) iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x64xf32>)
// The whole pipeline: the peeled chunk is in bounds (no mask), the loops over
// [64, 200) are masked because 64 does not divide 136, and each reduction is
// one tt.reduce after its loop.
// TTIR: "tt.func"
// TTIR: "tt.load"(%{{.*}}) {{.*}} -> tensor<4x64xf32>
// TTIR: scf.for %{{.*}} = %c64_i32 to %c200_i32 step %c64_i32 iter_args(%{{.*}}) -> (tensor<4x64xf32>)
// TTIR:   "tt.load"(%{{.*}}, %{{.*}}, %{{.*}})
// TTIR:   arith.maximumf {{.*}} : tensor<4x64xf32>
// TTIR: "tt.reduce"
// TTIR: scf.for
// TTIR: "tt.reduce"
// TTIR: scf.for %{{.*}} = %c0_i32 to %c200_i32 step %c64_i32
// TTIR:   "tt.store"(%{{.*}}, %{{.*}}, %{{.*}})
tile.kernel @softmax(%out: memref<100x200xf32>, %x: memref<100x200xf32>) {
  %b0 = tile.block_size 0 {extent = 100 : i64}
  %r = tile.block_size 1 {extent = 200 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c100 = arith.constant 100 : index
  %c200 = arith.constant 200 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  tile.grid (%i) = (%c0) to (%c100) step (%b0) {
    %all = tile.make_tile %c0, %c200, %r
    %v = tile.load %x[%i, %all] : memref<100x200xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %m1 = tile.mask %all : tensor<?xi1, #tile.dims<[1]>>
    %m2 = tile.expand_dims %m1, 0 : tensor<?xi1, #tile.dims<[1]>> -> tensor<1x?xi1, #tile.dims<[-1, 1]>>
    %m = tile.broadcast %m2 : tensor<1x?xi1, #tile.dims<[-1, 1]>> -> tensor<?x?xi1, #tile.dims<[0, 1]>>
    %fill = tile.full %ninf : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %vm = arith.select %m, %v, %fill : tensor<?x?xi1, #tile.dims<[0, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>>
    %max = tile.reduce(%vm) axis = 1 : (tensor<?x?xf32, #tile.dims<[0, 1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
    ^bb0(%a: f32, %b: f32):
      %r0 = arith.maximumf %a, %b : f32
      tile.yield %r0 : f32
    }
    %max2 = tile.expand_dims %max, 1 : tensor<?xf32, #tile.dims<[0]>> -> tensor<?x1xf32, #tile.dims<[0, -1]>>
    %maxb = tile.broadcast %max2 : tensor<?x1xf32, #tile.dims<[0, -1]>> -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %sh = arith.subf %v, %maxb : tensor<?x?xf32, #tile.dims<[0, 1]>>
    %e = math.exp %sh : tensor<?x?xf32, #tile.dims<[0, 1]>>
    %zf = tile.full %zero : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %em = arith.select %m, %e, %zf : tensor<?x?xi1, #tile.dims<[0, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>>
    %sum = tile.reduce(%em) axis = 1 : (tensor<?x?xf32, #tile.dims<[0, 1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
    ^bb0(%a: f32, %b: f32):
      %r0 = arith.addf %a, %b : f32
      tile.yield %r0 : f32
    }
    %s2 = tile.expand_dims %sum, 1 : tensor<?xf32, #tile.dims<[0]>> -> tensor<?x1xf32, #tile.dims<[0, -1]>>
    %sb = tile.broadcast %s2 : tensor<?x1xf32, #tile.dims<[0, -1]>> -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %y = arith.divf %e, %sb : tensor<?x?xf32, #tile.dims<[0, 1]>>
    %all2 = tile.make_tile %c0, %c200, %r
    tile.store %y, %out[%i, %all2] : tensor<?x?xf32, #tile.dims<[0, 1]>>, memref<100x200xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Argmax: a two-operand reduce whose indices come from tile.index minus
// tile.begin. The begin stays the slice's start (0), so chunk indices are
// global; the (value, index) pair is combined lane by lane.
// CHECK-LABEL: tile.kernel @argmax
// CHECK: tile.grid
// CHECK:   %[[I0:.*]] = tile.index
// CHECK:   %[[RES:.*]]:2 = tile.for {{.*}} iter_args(%[[AV:.*]] = %{{.*}}, %[[AI:.*]] = %{{.*}})
// CHECK:     %[[GT:.*]] = arith.cmpf ogt, %{{.*}}, %[[AV]] : tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK:     arith.select %[[GT]], %{{.*}}, %[[AV]] : tensor<?x?xi1, #tile.dims<[0, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>>
// CHECK:     tile.yield
// CHECK:   tile.reduce(%[[RES]]#0, %[[RES]]#1) axis = 1
// TTIR: "tt.func"
// TTIR: scf.for {{.*}} -> (tensor<4x64xf32>, tensor<4x64xi32>)
// TTIR: "tt.reduce"(%{{.*}}#0, %{{.*}}#1)
// PERSISTENT-LABEL: tile.kernel @argmax
// PERSISTENT-NOT: tile.for
tile.kernel @argmax(%out: memref<100xi32>, %x: memref<100x200xf32>) {
  %b0 = tile.block_size 0 {extent = 100 : i64}
  %r = tile.block_size 1 {extent = 200 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c100 = arith.constant 100 : index
  %c200 = arith.constant 200 : index
  tile.grid (%i) = (%c0) to (%c100) step (%b0) {
    %all = tile.make_tile %c0, %c200, %r
    %v = tile.load %x[%i, %all] : memref<100x200xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %idx = tile.index %all : tensor<?xi32, #tile.dims<[1]>>
    %begin = tile.begin %all
    %b32 = arith.index_cast %begin : index to i32
    %bs = tile.full %b32 : i32 -> tensor<?xi32, #tile.dims<[1]>>
    %rel = arith.subi %idx, %bs : tensor<?xi32, #tile.dims<[1]>>
    %rel2 = tile.expand_dims %rel, 0 : tensor<?xi32, #tile.dims<[1]>> -> tensor<1x?xi32, #tile.dims<[-1, 1]>>
    %relb = tile.broadcast %rel2 : tensor<1x?xi32, #tile.dims<[-1, 1]>> -> tensor<?x?xi32, #tile.dims<[0, 1]>>
    %val, %arg = tile.reduce(%v, %relb) axis = 1 : (tensor<?x?xf32, #tile.dims<[0, 1]>>, tensor<?x?xi32, #tile.dims<[0, 1]>>) -> (tensor<?xf32, #tile.dims<[0]>>, tensor<?xi32, #tile.dims<[0]>>) {
    ^bb0(%av: f32, %ai: i32, %nv: f32, %ni: i32):
      %gt = arith.cmpf ogt, %nv, %av : f32
      %v1 = arith.select %gt, %nv, %av : f32
      %i1 = arith.select %gt, %ni, %ai : i32
      tile.yield %v1, %i1 : f32, i32
    }
    tile.store %arg, %out[%i] : tensor<?xi32, #tile.dims<[0]>>, memref<100xi32>[!tile.tile]
    tile.yield
  }
  tile.return
}
