// RUN: helion-opt %s -split-input-file -verify-diagnostics --helion-apply-config="block-sizes=16,16 loop-orders=0,0 l2-groupings=1"
// RUN: not helion-opt %s -split-input-file --helion-apply-config="block-sizes=16,16 loop-orders=1,0 l2-groupings=0" 2>&1 | FileCheck %s --check-prefix=L2
// RUN: not helion-opt %s -split-input-file --helion-apply-config="block-sizes=16,16 loop-orders=1,0,1,0" 2>&1 | FileCheck %s --check-prefix=EXTRA

// Config.loop_orders entries must be permutations of their loop's dims.
// L2: error: 'tile.grid' op l2 grouping must be >= 1, got 0
// EXTRA: error: loop-orders has 4 entries; the multi-dim loops use 2
tile.kernel @orders(%x: memref<64x64xf32>) {
  %b0 = tile.block_size 0
  %b1 = tile.block_size 1
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  // expected-error @+1 {{loop order is not a permutation of the loop's dims}}
  tile.grid (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%b0, %b1) {
    tile.yield
  }
  tile.return
}

// -----

// A 2-d inner loop takes the next permutation; when none is left the loop
// is named.
tile.kernel @missing(%x: memref<64x64xf32>) {
  %b0 = tile.block_size 0
  %b1 = tile.block_size 1
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%i) = (%c0) to (%c64) step (%b0) {
    // expected-error @+1 {{loop order is not a permutation of the loop's dims}}
    tile.for (%p, %q) = (%c0, %c0) to (%c64, %c64) step (%b1, %b1) {
      tile.yield
    }
    tile.yield
  }
  tile.return
}
