// RUN: helion-opt %s --split-input-file --verify-diagnostics --helion-roll-reductions="reduction-loops=24"
// RUN: not helion-opt %s --helion-roll-reductions="reduction-loops=32,32" 2>&1 | FileCheck %s --check-prefix=COUNT

// The chunk size must be a power of two.
tile.kernel @odd(%x: memref<8x100xf32>) {
  %b0 = tile.block_size 0 {extent = 8 : i64}
  // expected-error @+1 {{reduction_loops[0] = 24 must be a power of two (or None)}}
  %r = tile.block_size 1 {extent = 100 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%i) = (%c0) to (%c8) step (%b0) {
    tile.yield
  }
  tile.return
}

// COUNT: reduction-loops has 2 entries but the kernel has 1 reduction dims
