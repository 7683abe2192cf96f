// RUN: helion-opt %s -split-input-file -verify-diagnostics
// One verifier case per split: this file is long by design (every op's every check, one short case each).

// expected-error @+1 {{kernels return nothing}}
tile.kernel @k() -> i32 {
  tile.return
}

// -----

// expected-error @+1 {{tensor argument 0 must have an integer or float dtype}}
tile.kernel @k(%x: memref<4xindex>) {
  tile.return
}

// -----

// expected-error @+1 {{argument 0 has type 'vector<4xf32>'; expected a memref or an int/float/index scalar}}
tile.kernel @k(%x: vector<4xf32>) {
  tile.return
}

// -----

// expected-error @+1 {{must contain exactly one tile.grid at its top level}}
tile.kernel @k() {
  tile.return
}

// -----

// expected-error @+1 {{tensor argument 0 must have a strided layout}}
tile.kernel @k(%x: memref<4x4xf32, affine_map<(d0, d1) -> (d0 mod 3, d1)>>) {
  tile.return
}

// -----

// expected-error @+1 {{body must end with tile.return}}
"tile.kernel"() <{function_type = () -> (), sym_name = "k"}> ({
  %c0 = arith.constant 0 : index
}) : () -> ()

// -----

tile.kernel @k() {
  // expected-error @+1 {{slot must be non-negative}}
  %b = tile.block_size -1
  tile.return
}

// -----

tile.kernel @k() {
  // expected-error @+1 {{extent must be non-negative}}
  %b = tile.block_size 0 {extent = -3 : i64}
  tile.return
}

// -----

tile.kernel @k(%x: memref<4xf32>) {
  // expected-error @+1 {{dim 1 is out of range for rank 1}}
  %d = tile.dim %x, 1 : memref<4xf32>
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{needs at least one dimension}}
  "tile.grid"() <{operandSegmentSizes = array<i32: 0, 0, 0>}> ({
    tile.yield
  }) : () -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{needs one lower bound, upper bound and step per dimension}}
  "tile.grid"(%c0, %c0) <{operandSegmentSizes = array<i32: 1, 0, 1>}> ({
  ^bb0(%t: !tile.tile):
    tile.yield
  }) : (index, index) -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{body argument 0 must be !tile.tile}}
  "tile.grid"(%c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
  ^bb0(%t: index):
    tile.yield
  }) : (index, index, index) -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{body must take one !tile.tile argument per dimension}}
  "tile.grid"(%c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
    tile.yield
  }) : (index, index, index) -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{body must end with tile.yield}}
  "tile.grid"(%c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
  ^bb0(%t: !tile.tile):
    %x = arith.constant 1 : index
  }) : (index, index, index) -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{body takes exactly one !tile.tile per dimension}}
  "tile.grid"(%c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
  ^bb0(%t: !tile.tile, %u: !tile.tile):
    tile.yield
  }) : (index, index, index) -> ()
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{must be directly inside a tile.kernel}}
    tile.grid (%u) = (%c0) to (%c0) step (%c0) {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{tile.yield of a grid carries no values}}
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    tile.yield %c0 : index
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{loop_order must be a permutation of [0, 2), got [0, 0]}}
  tile.grid (%t, %u) = (%c0, %c0) to (%c0, %c0) step (%c0, %c0) attributes {loop_order = array<i64: 0, 0>} {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    tile.yield
  }
  // expected-error @+1 {{must be nested inside a tile.grid}}
  tile.for (%u) = (%c0) to (%c0) step (%c0) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{tile.yield carries 0 values; the loop has 1 iter_args}}
    %r = tile.for (%u) = (%c0) to (%c0) step (%c0) iter_args(%a = %c0) -> (index) {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{iter_arg 0 has different types in init, body, yield or result}}
    %r = tile.for (%u) = (%c0) to (%c0) step (%c0) iter_args(%a = %c0) -> (index) {
      tile.yield %f : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{needs one iter_arg per result}}
    %r = "tile.for"(%c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%u: !tile.tile):
      tile.yield
    }) : (index, index, index) -> index
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{body takes one !tile.tile per dimension then one value per iter_arg}}
    %r = "tile.for"(%c0, %c0, %c0, %c0) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
    ^bb0(%u: !tile.tile):
      tile.yield %c0 : index
    }) : (index, index, index, index) -> index
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{result must be a 1-d tensor}}
    %i = tile.index %t : tensor<4x4xi32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{expected 2 indices for a rank-2 tensor, got 1}}
    %v = tile.load %x[%t] : memref<8x8xf32>[!tile.tile] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{bounds_check needs one flag per index}}
    %v = tile.load %x[%t] {bounds_check = array<i1: true, true>} : memref<8xf32>[!tile.tile] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %f = arith.constant 0.0 : f32
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{index 0 has type 'f32'; expected !tile.tile, an integer scalar or an integer tensor}}
    %v = tile.load %x[%f] : memref<8xf32>[f32] -> f32
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{indexing selects one element, so the result must be 'f32', got 'tensor<4xf32>'}}
    %v = tile.load %x[%c0] : memref<8xf32>[index] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{the result must be a rank-1 tensor of 'f32', got 'tensor<4xf16>'}}
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<4xf16>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>, %i: memref<8xi32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %g = tile.load %i[%t] : memref<8xi32>[!tile.tile] -> tensor<4xi32>
    // expected-error @+1 {{dim 0 of the result does not match the gather index}}
    %v = tile.load %x[%g] : memref<8xf32>[tensor<4xi32>] -> tensor<8xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %m = arith.constant dense<true> : tensor<8xi1>
    // expected-error @+1 {{mask must be i1 or an i1 tensor shaped like the result, got 'tensor<8xi1>'}}
    %v = tile.load %x[%t] mask(%m : tensor<8xi1>) : memref<8xf32>[!tile.tile] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %o = arith.constant 0 : i32
    // expected-error @+1 {{other must be a 'f32' scalar or match the result type, got 'i32'}}
    %v = tile.load %x[%t] other(%o : i32) : memref<8xf32>[!tile.tile] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{result type 'tensor<?xf32>' has dynamic dims but no #tile.dims encoding naming their block-size slots}}
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<?xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{#tile.dims has 2 entries for rank 1}}
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0, 1]>>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{dynamic dim 0 has no block-size slot}}
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[-1]>>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{static dim 0 must have slot -1, got 3}}
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<4xf32, #tile.dims<[3]>>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf16>
    // expected-error @+1 {{the stored value must be a rank-1 tensor of 'f32', got 'tensor<4xf16>'}}
    tile.store %v, %x[%t] : tensor<4xf16>, memref<8xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{unknown atomic kind 'mul'; expected add, max, min, and, or, xor or xchg}}
    %o = tile.atomic_rmw "mul" %v, %x[%t] : tensor<4xf32>, memref<8xf32>[!tile.tile] -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{result type must equal the value type}}
    %o = tile.atomic_rmw "add" %v, %x[%t] : tensor<4xf32>, memref<8xf32>[!tile.tile] -> tensor<8xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %z = arith.constant 0 : i32
    // expected-error @+1 {{fill value of type 'i32' does not match the element type 'f32'}}
    %f = tile.full %z : i32 -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{result must be a static 1-d tensor}}
    %r = tile.arange 0 to 4 : tensor<4x1xi32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{empty range [4, 4)}}
    %r = tile.arange 4 to 4 : tensor<1xi32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{result has 8 elements; the range has 4}}
    %r = tile.arange 0 to 4 : tensor<8xi32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{dim 1 of the source must be 1 or equal the result's}}
    %b = tile.broadcast %v : tensor<4x2xf32> -> tensor<4x8xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{source and result must have the same rank and element type}}
    %b = tile.broadcast %v : tensor<4xf32> -> tensor<4x8xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{axis 3 out of range for rank 1}}
    %e = tile.expand_dims %v, 3 : tensor<4xf32> -> tensor<4x1xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{result must be the source with a size-1 dim inserted at axis}}
    %e = tile.expand_dims %v, 0 : tensor<4xf32> -> tensor<4x1xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{cannot reshape 'tensor<4x2xf32>' to 'tensor<3x3xf32>': the element counts differ}}
    %r = tile.reshape %v : tensor<4x2xf32> -> tensor<3x3xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1> : tensor<4x2xi32>
    // expected-error @+1 {{source and result must have the same element type}}
    %r = tile.reshape %v : tensor<4x2xi32> -> tensor<8xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{permutation must contain each dim exactly once}}
    %p = tile.permute %v [0, 0] : tensor<4x2xf32> -> tensor<4x2xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{permutation must have one entry per dim}}
    %p = tile.permute %v [0] : tensor<4x2xf32> -> tensor<4x2xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{result dim 0 must equal source dim 1}}
    %p = tile.permute %v [1, 0] : tensor<4x2xf32> -> tensor<4x2xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{result must have the rank and element type of the source}}
    %p = tile.permute %v [1, 0] : tensor<4x2xf32> -> tensor<2x4xf16>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<4xf32>
    // expected-error @+1 {{a, b and acc must all be 2-d, or all 3-d (batched)}}
    %d = tile.dot %a, %a, %a : tensor<4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x16xf32>
    %c = arith.constant dense<1.0> : tensor<16x16xf32>
    // expected-error @+1 {{result type must equal the accumulator type}}
    %d = tile.dot %a, %a, %c : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf16>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<2x16x16xf32>
    %b = arith.constant dense<1.0> : tensor<4x16x16xf32>
    // expected-error @+1 {{batch dims of a, b and acc differ}}
    %d = tile.dot %a, %b, %a : tensor<2x16x16xf32>, tensor<4x16x16xf32>, tensor<2x16x16xf32> -> tensor<2x16x16xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x32xf32>
    %b = arith.constant dense<1.0> : tensor<16x16xf32>
    // expected-error @+1 {{contraction dims differ: a is [.., M, K], b must be [.., K, N]}}
    %d = tile.dot %a, %b, %b : tensor<16x32xf32>, tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x16xf32>
    %c = arith.constant dense<1.0> : tensor<32x16xf32>
    // expected-error @+1 {{accumulator must be [.., M, N]}}
    %d = tile.dot %a, %a, %c : tensor<16x16xf32>, tensor<16x16xf32>, tensor<32x16xf32> -> tensor<32x16xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x16xf32>
    %b = arith.constant dense<1.0> : tensor<16x16xf16>
    // expected-error @+1 {{a and b must have the same element type, got 'f32' and 'f16'}}
    %d = tile.dot %a, %b, %a : tensor<16x16xf32>, tensor<16x16xf16>, tensor<16x16xf32> -> tensor<16x16xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x16xf32>
    %c = arith.constant dense<1.0> : tensor<16x16xbf16>
    // expected-error @+1 {{accumulator must be f32, f16 or i32, got 'bf16'}}
    %d = tile.dot %a, %a, %c : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xbf16> -> tensor<16x16xbf16>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x16xf32>
    // expected-error @+1 {{unknown input_precision 'fast'; expected tf32, tf32x3, ieee or bf16x3}}
    %d = tile.dot %a, %a, %a {input_precision = "fast"} : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{needs at least one operand}}
    "tile.reduce"() <{axis = 0 : i64}> ({
      tile.yield
    }) : () -> ()
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{axis 1 out of range for rank 1}}
    %r = tile.reduce(%a) axis = 1 : (tensor<16xf32>) -> f32 {
    ^bb0(%p: f32, %q: f32):
      tile.yield %p : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{needs one result per operand}}
    %r:2 = tile.reduce(%a) axis = 0 : (tensor<16xf32>) -> (f32, f32) {
    ^bb0(%p: f32, %q: f32):
      tile.yield %p : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{combine region must take 2 scalars}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16xf32>) -> f32 {
    ^bb0(%p: f32):
      tile.yield %p : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    %b = arith.constant dense<1.0> : tensor<8xf32>
    // expected-error @+1 {{all operands must have the same shape}}
    %r:2 = tile.reduce(%a, %b) axis = 0 : (tensor<16xf32>, tensor<8xf32>) -> (f32, f32) {
    ^bb0(%p: f32, %q: f32, %r: f32, %s: f32):
      tile.yield %p, %q : f32, f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{result 0 must be the scalar 'f32'}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16xf32>) -> f16 {
    ^bb0(%p: f32, %q: f32):
      tile.yield %p : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16x4xf32>
    // expected-error @+1 {{result 0 must be the operand's shape without the reduced axis}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16x4xf32>) -> tensor<16xf32> {
    ^bb0(%p: f32, %q: f32):
      tile.yield %p : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{combine arguments 0 and 1 must be 'f32'}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16xf32>) -> f32 {
    ^bb0(%p: f16, %q: f32):
      tile.yield %q : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1.0> : tensor<16xf32>
    // expected-error @+1 {{combine region must end with tile.yield of 1 values}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16xf32>) -> f32 {
    ^bb0(%p: f32, %q: f32):
      tile.yield %p, %q : f32, f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %a = arith.constant dense<1> : tensor<16xi32>
    // expected-error @+1 {{combine region yields a 'f32' for operand 0}}
    %r = tile.reduce(%a) axis = 0 : (tensor<16xi32>) -> i32 {
    ^bb0(%p: i32, %q: i32):
      %f = arith.constant 1.0 : f32
      tile.yield %f : f32
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{result must be a 1-d tensor}}
    %m = tile.mask %t : tensor<4x4xi1>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    // expected-error @+1 {{is only valid after lower-grid, outside any tile.grid}}
    %p = tile.program_id
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = arith.constant dense<1.0> : tensor<4x2xf32>
    // expected-error @+1 {{dim 1 must stay the same or switch between a static size and a block-size slot}}
    %b = tile.rebind %v : tensor<4x2xf32> -> tensor<4x8xf32>
    tile.yield
  }
  tile.return
}

// -----

// Pass-to-pass attributes are checked where they are declared.

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{loop_order must be a permutation of [0, 2), got [1, 2]}}
    tile.for (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = array<i64: 1, 2>} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{loop_order must be a permutation of [0, 2), got [-1, 0]}}
    tile.for (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = array<i64: -1, 0>} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{loop_order must be a permutation of [0, 2), got [1, 0, 2]}}
    tile.for (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = array<i64: 1, 0, 2>} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{loop_order must be a permutation of [0, 1), got []}}
    tile.for (%i) = (%c0) to (%c8) step (%c8) attributes {loop_order = array<i64>} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{loop_order must be a permutation of [0, 2), got [7, 0]}}
  tile.grid (%t, %u) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = array<i64: 7, 0>} {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{l2_grouping must be at least 1, got 0}}
  tile.grid (%t, %u) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {l2_grouping = 0 : i64} {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{loop_order}}
  tile.grid (%t, %u) = (%c0, %c0) to (%c8, %c8) step (%c8, %c8) attributes {loop_order = 5 : i64} {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  // expected-error @+1 {{looped_block is only valid on a reduction slot}}
  %b = tile.block_size 0 {looped_block = 64 : i64}
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%b) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  // expected-error @+1 {{min_block must be a positive power of two, got 24}}
  %b = tile.block_size 0 {reduction, extent = 100 : i64, min_block = 24 : i64}
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%b) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k() {
  // expected-error @+1 {{looped_block must be a positive power of two, got 0}}
  %b = tile.block_size 0 {reduction, extent = 100 : i64, looped_block = 0 : i64}
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%b) {
    tile.yield
  }
  tile.return
}

// -----

// expected-error @+1 {{'tile.num_programs' must be a non-negative i64 on a tile.kernel}}
tile.kernel @k() attributes {tile.num_programs = -1 : i64} {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    tile.yield
  }
  tile.return
}

// -----

func.func @f() {
  // expected-error @+1 {{'tile.num_programs' must be a non-negative i64 on a tile.kernel}}
  arith.constant {tile.num_programs = 4 : i64} 0 : index
  return
}

// -----

// expected-error @+1 {{'tile.grid_shape' must be three non-negative sizes [x, y, z] on a tile.kernel}}
tile.kernel @k() attributes {tile.grid_shape = array<i64: 4, 2>, tile.num_programs = 8 : i64} {
  %pid = tile.program_id
  tile.return
}

// -----

tile.kernel @k() attributes {tile.num_programs = 8 : i64} {
  // expected-error @+1 {{axis must be 0, 1 or 2, got 3}}
  %pid = tile.program_id axis 3
  tile.return
}

// -----

// expected-error @+1 {{'tile.aligned' is a unit attribute of tensor arguments of a tile.kernel}}
tile.kernel @k(%n: i32 {tile.aligned}) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    tile.yield
  }
  tile.return
}

// -----

// expected-error @+1 {{unknown tile dialect attribute 'tile.num_program'}}
tile.kernel @k() attributes {tile.num_program = 4 : i64} {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%i) = (%c0) to (%c8) step (%c8) {
    %v = tile.load %x[%i] : memref<8xf32>[!tile.tile] -> tensor<8xf32>
    // expected-error @+1 {{combine region must end with tile.yield of 1 values}}
    %s = "tile.reduce"(%v) <{axis = 0 : i64}> ({
    ^bb0(%a: f32, %b: f32):
    }) : (tensor<8xf32>) -> f32
    tile.yield
  }
  tile.return
}

// -----

// Per-loop Config knobs recorded by apply-config.
tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{num_stages must be >= 1, got 0}}
    tile.for (%i) = (%c0) to (%c8) step (%c8) attributes {num_stages = 0 : i64} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

// Per-loop Config knobs recorded by apply-config.
tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{unroll_factor must be >= 2, got 1}}
    tile.for (%i) = (%c0) to (%c8) step (%c8) attributes {unroll_factor = 1 : i64} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

// Per-loop Config knobs recorded by apply-config.
tile.kernel @k() {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    // expected-error @+1 {{static_range (full unroll) and unroll_factor exclude each other}}
    tile.for (%i) = (%c0) to (%c8) step (%c8) attributes {static_range, unroll_factor = 2 : i64} {
      tile.yield
    }
    tile.yield
  }
  tile.return
}

// -----

func.func @slice_out_of_range(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{slice [7, 9) is outside dim 1 of size 8}}
  %s = tile.extract_slice %x, 1, 7 : tensor<16x8xf32> -> tensor<16x2xf32>
  return
}

// -----

func.func @slice_dynamic_dim(%x: tensor<?x8xf32, #tile.dims<[0, -1]>>) {
  // expected-error @+1 {{dim 0 must be static in the source and the result}}
  %s = tile.extract_slice %x, 0, 0 : tensor<?x8xf32, #tile.dims<[0, -1]>> -> tensor<2x8xf32>
  return
}

// -----

func.func @slice_other_dim_changes(%x: tensor<16x8xf32>) {
  // expected-error @+1 {{dim 0 must be the same in the source and the result}}
  %s = tile.extract_slice %x, 1, 0 : tensor<16x8xf32> -> tensor<8x2xf32>
  return
}

// -----

tile.kernel @k() {
  // expected-error @+1 {{looped_block is only valid on a reduction slot}}
  %b = tile.block_size 0 {looped_block = 16 : i64}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  tile.grid (%t) = (%c0) to (%c8) step (%c8) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  tile.grid (%t) = (%c0) to (%c64) step (%c64) {
    // expected-error @+1 {{unknown eviction_policy 'first'; expected evict_first or evict_last}}
    %a = tile.load %x[%t] {eviction_policy = "first"} : memref<64xf32>[!tile.tile] -> tensor<64xf32>
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @k(%x: memref<64xi32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1 : i32
  tile.grid (%t) = (%c0) to (%c64) step (%c64) {
    %v = tile.full %one : i32 -> tensor<64xi32>
    // expected-error @+1 {{unknown sem 'seq_cst'; expected relaxed, acquire, release or acq_rel}}
    %a = tile.atomic_rmw "add" %v, %x[%t] {sem = "seq_cst"} : tensor<64xi32>, memref<64xi32>[!tile.tile] -> tensor<64xi32>
    tile.yield
  }
  tile.return
}

// -----

func.func @scan_result_shape(%x: tensor<8x16xf32>) {
  // expected-error @+1 {{result 0 must have the operand's type}}
  %s = tile.scan(%x) axis = 1 : (tensor<8x16xf32>) -> tensor<8xf32> {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    tile.yield %r : f32
  }
  return
}
