// RUN: not helion-opt %s 2>&1 | FileCheck %s

// MLIR's parser crashes on dense arrays of `index` (found by the helion-opt
// fuzz test): helion-opt refuses them with an error at the spot instead.
// CHECK: parser-hazards.mlir:[[@LINE+4]]:90: error: dense arrays of 'index' are not supported; use array<i64: ...>
tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = array<index: 1, 0>} {
    tile.yield
  }
  tile.return
}
