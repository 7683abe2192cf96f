// RUN: helion-opt %s -split-input-file --helion-legalize-for-triton | FileCheck %s

// Slots reaching a dot's M, N and K get min_block; a pinned reduction slot
// narrower than 16 does not (it cannot grow).
// CHECK-LABEL: tile.kernel @minima
// CHECK: tile.block_size 0 {extent = 64 : i64, min_block = 16 : i64}
// CHECK: tile.block_size 1 {extent = 64 : i64, min_block = 16 : i64}
// CHECK: tile.block_size 2 {extent = 64 : i64, min_block = 16 : i64, reduction}
// CHECK: tile.dot %{{.*}} : tensor<?x?xbf16, #tile.dims<[0, 2]>>, tensor<?x?xbf16, #tile.dims<[2, 1]>>
tile.kernel @minima(%a: memref<64x64xbf16>, %b: memref<64x64xbf16>, %out: memref<64x64xf32>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %bn = tile.block_size 1 {extent = 64 : i64}
  %bk = tile.block_size 2 {extent = 64 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m, %n) = (%c0, %c0) to (%c64, %c64) step (%bm, %bn) {
    %k = tile.make_tile %c0, %c64, %bk
    %x = tile.load %a[%m, %k] : memref<64x64xbf16>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[0, 2]>>
    %y = tile.load %b[%k, %n] : memref<64x64xbf16>[!tile.tile, !tile.tile] -> tensor<?x?xbf16, #tile.dims<[2, 1]>>
    %zero = arith.constant 0.0 : f32
    %acc = tile.full %zero : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %d = tile.dot %x, %y, %acc : tensor<?x?xbf16, #tile.dims<[0, 2]>>, tensor<?x?xbf16, #tile.dims<[2, 1]>>, tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    tile.store %d, %out[%m, %n] : tensor<?x?xf32, #tile.dims<[0, 1]>>, memref<64x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A static K of 8 is widened to 16: the operand repeated twice along K, the
// second copy zeroed.
// CHECK-LABEL: tile.kernel @small_k
// CHECK: tile.block_size 0 {extent = 64 : i64, min_block = 16 : i64}
// CHECK: %[[X:.*]] = tile.load %arg0{{.*}} -> tensor<?x8xf32, #tile.dims<[0, -1]>>
// CHECK: %[[Y:.*]] = tile.load %arg1{{.*}} -> tensor<8x64xf32>
// CHECK: %[[XE:.*]] = tile.expand_dims %[[X]], 1 : tensor<?x8xf32, #tile.dims<[0, -1]>> -> tensor<?x1x8xf32, #tile.dims<[0, -1, -1]>>
// CHECK: %[[XB:.*]] = tile.broadcast %[[XE]] : {{.*}} -> tensor<?x2x8xf32, #tile.dims<[0, -1, -1]>>
// CHECK: %[[XR:.*]] = tile.reshape %[[XB]] : {{.*}} -> tensor<?x16xf32, #tile.dims<[0, -1]>>
// CHECK: %[[LANES:.*]] = tile.arange 0 to 16 : tensor<16xi32>
// CHECK: %[[FIRST:.*]] = arith.cmpi slt, %[[LANES]], %{{.*}} : tensor<16xi32>
// CHECK: %[[KEEP:.*]] = tile.broadcast %{{.*}} : tensor<1x16xi1> -> tensor<?x16xi1, #tile.dims<[0, -1]>>
// CHECK: %[[XW:.*]] = arith.select %[[KEEP]], %[[XR]], %{{.*}} : tensor<?x16xi1, #tile.dims<[0, -1]>>, tensor<?x16xf32, #tile.dims<[0, -1]>>
// CHECK: tile.reshape %{{.*}} : tensor<2x8x64xf32> -> tensor<16x64xf32>
// CHECK: %[[YW:.*]] = arith.select %{{.*}} : tensor<16x64xi1>, tensor<16x64xf32>
// CHECK: tile.dot %[[XW]], %[[YW]], %{{.*}} : tensor<?x16xf32, #tile.dims<[0, -1]>>, tensor<16x64xf32>, tensor<?x64xf32, #tile.dims<[0, -1]>>
tile.kernel @small_k(%a: memref<64x8xf32>, %b: memref<8x64xf32>, %out: memref<64x64xf32>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %k = tile.make_tile %c0, %c8, %c8
    %n = tile.make_tile %c0, %c64, %c64
    %x = tile.load %a[%m, %k] : memref<64x8xf32>[!tile.tile, !tile.tile] -> tensor<?x8xf32, #tile.dims<[0, -1]>>
    %y = tile.load %b[%k, %n] : memref<8x64xf32>[!tile.tile, !tile.tile] -> tensor<8x64xf32>
    %zero = arith.constant 0.0 : f32
    %acc = tile.full %zero : f32 -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %d = tile.dot %x, %y, %acc : tensor<?x8xf32, #tile.dims<[0, -1]>>, tensor<8x64xf32>, tensor<?x64xf32, #tile.dims<[0, -1]>> -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    tile.store %d, %out[%m, %n] : tensor<?x64xf32, #tile.dims<[0, -1]>>, memref<64x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// K over a reduction slot pinned to 8 (`x[t, :]` of 8 columns) is viewed as
// static 8, then widened; fp8 operands need K >= 32.
// CHECK-LABEL: tile.kernel @pinned_k
// CHECK: tile.block_size 0 {extent = 64 : i64, min_block = 16 : i64}
// CHECK: tile.block_size 1 {extent = 8 : i64, reduction}
// CHECK: tile.rebind %{{.*}} : tensor<?x?xf8E4M3FN, #tile.dims<[0, 1]>> -> tensor<?x8xf8E4M3FN, #tile.dims<[0, -1]>>
// CHECK: tile.rebind %{{.*}} : tensor<?x32xf8E4M3FN, #tile.dims<[1, -1]>> -> tensor<8x32xf8E4M3FN>
// CHECK: tile.broadcast %{{.*}} -> tensor<?x4x8xf8E4M3FN, #tile.dims<[0, -1, -1]>>
// CHECK: tile.dot %{{.*}} : tensor<?x32xf8E4M3FN, #tile.dims<[0, -1]>>, tensor<32x32xf8E4M3FN>, tensor<?x32xf32, #tile.dims<[0, -1]>>
tile.kernel @pinned_k(%a: memref<64x8xf8E4M3FN>, %b: memref<8x32xf8E4M3FN>, %out: memref<64x32xf32>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %bk = tile.block_size 1 {extent = 8 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %k = tile.make_tile %c0, %c8, %bk
    %n = tile.make_tile %c0, %c32, %c32
    %x = tile.load %a[%m, %k] : memref<64x8xf8E4M3FN>[!tile.tile, !tile.tile] -> tensor<?x?xf8E4M3FN, #tile.dims<[0, 1]>>
    %y = tile.load %b[%k, %n] : memref<8x32xf8E4M3FN>[!tile.tile, !tile.tile] -> tensor<?x32xf8E4M3FN, #tile.dims<[1, -1]>>
    %zero = arith.constant 0.0 : f32
    %acc = tile.full %zero : f32 -> tensor<?x32xf32, #tile.dims<[0, -1]>>
    %d = tile.dot %x, %y, %acc : tensor<?x?xf8E4M3FN, #tile.dims<[0, 1]>>, tensor<?x32xf8E4M3FN, #tile.dims<[1, -1]>>, tensor<?x32xf32, #tile.dims<[0, -1]>> -> tensor<?x32xf32, #tile.dims<[0, -1]>>
    tile.store %d, %out[%m, %n] : tensor<?x32xf32, #tile.dims<[0, -1]>>, memref<64x32xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A max of f32 values just rounded to bf16 (a masked bf16 score tile) reduces
// the f32 values, selected the same way, and rounds the result: rounding is
// monotone. A sum of the same tile still widens the rounded values.
// CHECK-LABEL: tile.kernel @rounded_max
// CHECK: %[[X:.*]] = arith.addf
// CHECK: %[[T:.*]] = arith.truncf %[[X]] : tensor<?x64xf32, #tile.dims<[0, -1]>> to tensor<?x64xbf16, #tile.dims<[0, -1]>>
// CHECK: %[[MASKED:.*]] = arith.select %[[C:.*]], %[[T]], %{{.*}} : tensor<?x64xi1, #tile.dims<[0, -1]>>, tensor<?x64xbf16, #tile.dims<[0, -1]>>
// CHECK: %[[NEG:.*]] = tile.full %{{.*}} : f32 -> tensor<?x64xf32, #tile.dims<[0, -1]>>
// CHECK: %[[WIDE:.*]] = arith.select %[[C]], %[[X]], %[[NEG]] : tensor<?x64xi1, #tile.dims<[0, -1]>>, tensor<?x64xf32, #tile.dims<[0, -1]>>
// CHECK: %[[MAX:.*]] = tile.reduce(%[[WIDE]]) axis = 1
// CHECK: arith.truncf %[[MAX]] : tensor<?xf32, #tile.dims<[0]>> to tensor<?xbf16, #tile.dims<[0]>>
// CHECK: %[[EXT:.*]] = arith.extf %[[MASKED]]
// CHECK: tile.reduce(%[[EXT]]) axis = 1
tile.kernel @rounded_max(%x: memref<64x64xf32>, %mx: memref<64xbf16>, %sm: memref<64xbf16>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %n = tile.make_tile %c0, %c64, %c64
    %v = tile.load %x[%m, %n] : memref<64x64xf32>[!tile.tile, !tile.tile] -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %sq = arith.addf %v, %v : tensor<?x64xf32, #tile.dims<[0, -1]>>
    %h = arith.truncf %sq : tensor<?x64xf32, #tile.dims<[0, -1]>> to tensor<?x64xbf16, #tile.dims<[0, -1]>>
    %zero = arith.constant 0.0 : f32
    %zeros = tile.full %zero : f32 -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %c = arith.cmpf ogt, %v, %zeros : tensor<?x64xf32, #tile.dims<[0, -1]>>
    %ninf = arith.constant 0xFF80 : bf16
    %neg = tile.full %ninf : bf16 -> tensor<?x64xbf16, #tile.dims<[0, -1]>>
    %masked = arith.select %c, %h, %neg : tensor<?x64xi1, #tile.dims<[0, -1]>>, tensor<?x64xbf16, #tile.dims<[0, -1]>>
    %r = tile.reduce(%masked) axis = 1 : (tensor<?x64xbf16, #tile.dims<[0, -1]>>) -> tensor<?xbf16, #tile.dims<[0]>> {
    ^bb0(%p: bf16, %q: bf16):
      %pe = arith.extf %p : bf16 to f32
      %qe = arith.extf %q : bf16 to f32
      %mx2 = arith.maximumf %pe, %qe : f32
      %t = arith.truncf %mx2 : f32 to bf16
      tile.yield %t : bf16
    }
    %s = tile.reduce(%masked) axis = 1 : (tensor<?x64xbf16, #tile.dims<[0, -1]>>) -> tensor<?xbf16, #tile.dims<[0]>> {
    ^bb0(%p: bf16, %q: bf16):
      %pe = arith.extf %p : bf16 to f32
      %qe = arith.extf %q : bf16 to f32
      %add = arith.addf %pe, %qe : f32
      %t = arith.truncf %add : f32 to bf16
      tile.yield %t : bf16
    }
    tile.store %r, %mx[%m] : tensor<?xbf16, #tile.dims<[0]>>, memref<64xbf16>[!tile.tile]
    tile.store %s, %sm[%m] : tensor<?xbf16, #tile.dims<[0]>>, memref<64xbf16>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Half-precision reduces run in f32. A max region picks values, so it needs
// no rounding; a sum keeps rounding to bf16 at each step.
// CHECK-LABEL: tile.kernel @half_reduce
// CHECK: %[[V:.*]] = tile.load
// CHECK: %[[W:.*]] = arith.extf %[[V]] : tensor<?x64xbf16, #tile.dims<[0, -1]>> to tensor<?x64xf32, #tile.dims<[0, -1]>>
// CHECK: %[[MAX:.*]] = tile.reduce(%[[W]]) axis = 1 : (tensor<?x64xf32, #tile.dims<[0, -1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[A]], %[[B]] : f32
// CHECK-NEXT: tile.yield %[[M]] : f32
// CHECK: arith.truncf %[[MAX]] : tensor<?xf32, #tile.dims<[0]>> to tensor<?xbf16, #tile.dims<[0]>>
// CHECK: tile.reduce(%{{.*}}) axis = 1 : (tensor<?x64xf32, #tile.dims<[0, -1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
// CHECK-NEXT: ^bb0(%[[C:.*]]: f32, %[[D:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[C]], %[[D]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[R]] : bf16 to f32
// CHECK-NEXT: tile.yield %[[E]] : f32
// CHECK-NOT: bf16 {
tile.kernel @half_reduce(%x: memref<64x64xbf16>, %mx: memref<64xbf16>, %sm: memref<64xbf16>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %n = tile.make_tile %c0, %c64, %c64
    %v = tile.load %x[%m, %n] : memref<64x64xbf16>[!tile.tile, !tile.tile] -> tensor<?x64xbf16, #tile.dims<[0, -1]>>
    %r = tile.reduce(%v) axis = 1 : (tensor<?x64xbf16, #tile.dims<[0, -1]>>) -> tensor<?xbf16, #tile.dims<[0]>> {
    ^bb0(%p: bf16, %q: bf16):
      %pe = arith.extf %p : bf16 to f32
      %qe = arith.extf %q : bf16 to f32
      %mx2 = arith.maximumf %pe, %qe : f32
      %t = arith.truncf %mx2 : f32 to bf16
      tile.yield %t : bf16
    }
    %s = tile.reduce(%v) axis = 1 : (tensor<?x64xbf16, #tile.dims<[0, -1]>>) -> tensor<?xbf16, #tile.dims<[0]>> {
    ^bb0(%p: bf16, %q: bf16):
      %pe = arith.extf %p : bf16 to f32
      %qe = arith.extf %q : bf16 to f32
      %add = arith.addf %pe, %qe : f32
      %t = arith.truncf %add : f32 to bf16
      tile.yield %t : bf16
    }
    tile.store %r, %mx[%m] : tensor<?xbf16, #tile.dims<[0]>>, memref<64xbf16>[!tile.tile]
    tile.store %s, %sm[%m] : tensor<?xbf16, #tile.dims<[0]>>, memref<64xbf16>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Register slices: columns 4..5 (a one-hot [2, 8] selection summed over the
// source dim) and element 3 of a 1-d value (a scalar, put back as [1]).
// CHECK-LABEL: tile.kernel @slices
// CHECK-NOT: tile.extract_slice
// CHECK: %[[X:.*]] = tile.load %arg0
// CHECK: %[[LANES:.*]] = tile.arange 0 to 8 : tensor<8xi32>
// CHECK: %[[WANT:.*]] = tile.arange 4 to 6 : tensor<2xi32>
// CHECK: %[[PICK:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : tensor<2x8xi32>
// CHECK: %[[SPREAD:.*]] = tile.broadcast %{{.*}} : tensor<?x1x8xf32, #tile.dims<[0, -1, -1]>> -> tensor<?x2x8xf32, #tile.dims<[0, -1, -1]>>
// CHECK: arith.constant -0.000000e+00 : f32
// CHECK: %[[SEL:.*]] = arith.select %{{.*}}, %[[SPREAD]], %{{.*}} : tensor<?x2x8xi1, #tile.dims<[0, -1, -1]>>, tensor<?x2x8xf32, #tile.dims<[0, -1, -1]>>
// CHECK: %[[SUM:.*]] = tile.reduce(%[[SEL]]) axis = 2 : (tensor<?x2x8xf32, #tile.dims<[0, -1, -1]>>) -> tensor<?x2xf32, #tile.dims<[0, -1]>>
// CHECK: arith.addf
// CHECK: tile.store %[[SUM]], %arg1
// CHECK: %[[B:.*]] = tile.load %arg2
// CHECK: %[[B8:.*]] = arith.extui %[[B]] : tensor<8xi1> to tensor<8xi8>
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : tensor<8xi32>
// CHECK: %[[PICKED:.*]] = arith.select %[[ONE]], %[[B8]], %{{.*}} : tensor<8xi1>, tensor<8xi8>
// CHECK: %[[S:.*]] = tile.reduce(%[[PICKED]]) axis = 0 : (tensor<8xi8>) -> i8
// CHECK: %[[F:.*]] = tile.full %[[S]] : i8 -> tensor<1xi8>
// CHECK: %[[T:.*]] = arith.trunci %[[F]] : tensor<1xi8> to tensor<1xi1>
// CHECK: tile.store %[[T]], %arg3
tile.kernel @slices(%x: memref<64x8xf32>, %o2: memref<64x2xf32>, %v: memref<8xi1>, %o1: memref<1xi1>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %n = tile.make_tile %c0, %c8, %c8
    %two = tile.make_tile %c0, %c2, %c2
    %one = tile.make_tile %c0, %c1, %c1
    %a = tile.load %x[%m, %n] : memref<64x8xf32>[!tile.tile, !tile.tile] -> tensor<?x8xf32, #tile.dims<[0, -1]>>
    %s = tile.extract_slice %a, 1, 4 : tensor<?x8xf32, #tile.dims<[0, -1]>> -> tensor<?x2xf32, #tile.dims<[0, -1]>>
    tile.store %s, %o2[%m, %two] : tensor<?x2xf32, #tile.dims<[0, -1]>>, memref<64x2xf32>[!tile.tile, !tile.tile]
    %b = tile.load %v[%n] : memref<8xi1>[!tile.tile] -> tensor<8xi1>
    %e = tile.extract_slice %b, 0, 3 : tensor<8xi1> -> tensor<1xi1>
    tile.store %e, %o1[%one] : tensor<1xi1>, memref<1xi1>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Half-precision scans run in f32 like reduces (a cumulative sum that rounds
// to f16 at each step).
// CHECK-LABEL: tile.kernel @half_scan
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : tensor<?x64xf16, #tile.dims<[0, -1]>> to tensor<?x64xf32, #tile.dims<[0, -1]>>
// CHECK: %[[S:.*]] = tile.scan(%[[W]]) axis = 1 {reverse} : (tensor<?x64xf32, #tile.dims<[0, -1]>>) -> tensor<?x64xf32, #tile.dims<[0, -1]>> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[R]] : f16 to f32
// CHECK-NEXT: tile.yield %[[E]] : f32
// CHECK: arith.truncf %[[S]] : tensor<?x64xf32, #tile.dims<[0, -1]>> to tensor<?x64xf16, #tile.dims<[0, -1]>>
tile.kernel @half_scan(%x: memref<64x64xf16>, %out: memref<64x64xf16>) {
  %bm = tile.block_size 0 {extent = 64 : i64}
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%m) = (%c0) to (%c64) step (%bm) {
    %n = tile.make_tile %c0, %c64, %c64
    %v = tile.load %x[%m, %n] : memref<64x64xf16>[!tile.tile, !tile.tile] -> tensor<?x64xf16, #tile.dims<[0, -1]>>
    %s = tile.scan(%v) axis = 1 {reverse} : (tensor<?x64xf16, #tile.dims<[0, -1]>>) -> tensor<?x64xf16, #tile.dims<[0, -1]>> {
    ^bb0(%p: f16, %q: f16):
      %pe = arith.extf %p : f16 to f32
      %qe = arith.extf %q : f16 to f32
      %add = arith.addf %pe, %qe : f32
      %t = arith.truncf %add : f32 to f16
      tile.yield %t : f16
    }
    tile.store %s, %out[%m, %n] : tensor<?x64xf16, #tile.dims<[0, -1]>>, memref<64x64xf16>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
