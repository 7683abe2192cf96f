// RUN: helion-opt %s -split-input-file -verify-diagnostics --helion-apply-config="block-sizes=48"

tile.kernel @k(%x: memref<100xf32>) {
  // expected-error @+1 {{block_sizes[0] = 48 must be a power of two}}
  %b0 = tile.block_size 0
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  tile.grid (%i) = (%c0) to (%m) step (%b0) {
    tile.yield
  }
  tile.return
}

// -----

// expected-error @+1 {{the kernel has 2 tile block sizes but the Config gives 1 (block_sizes)}}
module {
tile.kernel @k(%x: memref<100xf32>) {
  %b0 = tile.block_size 0
  %b1 = tile.block_size 1
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %m) step (%b0, %b1) {
    tile.yield
  }
  tile.return
}
}
