// RUN: helion-opt %s -verify-diagnostics --helion-apply-config="block-sizes=8"

// A tile slot that reaches a dot keeps the minimum that
// helion-legalize-for-triton recorded (the ConfigSpec refuses it first).
tile.kernel @k(%x: memref<100xf32>) {
  // expected-error @+1 {{block_sizes[0] = 8 is below 16, the minimum for a matmul dimension}}
  %b0 = tile.block_size 0 {min_block = 16 : i64}
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  tile.grid (%i) = (%c0) to (%m) step (%b0) {
    tile.yield
  }
  tile.return
}
