// RUN: helion-opt %s -split-input-file -verify-diagnostics --convert-tile-to-triton
// RUN: not helion-opt %s -split-input-file --convert-tile-to-triton=index-bits=16 2>&1 | FileCheck %s --check-prefix=BITS

// BITS: index-bits must be 32 or 64

tile.kernel @grid_left(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  // expected-error @+1 {{must be lowered before convert-tile-to-triton}}
  tile.grid (%t) = (%c0) to (%c64) step (%c64) {
    tile.yield
  }
  tile.return
}

// -----

tile.kernel @dynamic(%x: memref<?xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %pid = tile.program_id
  // expected-error @+1 {{dynamic sizes need static_shapes=True}}
  %n = tile.dim %x, 0 : memref<?xf32>
  tile.return
}

// -----

tile.kernel @dynamic_strides(%x: memref<16xf32, strided<[?]>>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c16, %c16
  // expected-error @+1 {{needs static sizes and strides (static_shapes=True)}}
  %v = tile.load %x[%t] : memref<16xf32, strided<[?]>>[!tile.tile] -> tensor<16xf32>
  tile.return
}

// -----

tile.kernel @symbolic_block(%x: memref<16xf32>, %b: index) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %pid = tile.program_id
  // expected-error @+1 {{block size must be a constant; run helion-apply-config first}}
  %t = tile.make_tile %c0, %c16, %b
  tile.return
}

// -----

tile.kernel @wrong_block(%x: memref<64xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c64, %c16
  // expected-error @+1 {{tile of block 16 indexes a dim of size 32}}
  %v = tile.load %x[%t] : memref<64xf32>[!tile.tile] -> tensor<32xf32>
  tile.return
}

// -----

tile.kernel @float_and(%x: memref<16xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c16, %c16
  %v = tile.full %one : f32 -> tensor<16xf32>
  // expected-error @+1 {{atomic and on floats is not supported}}
  %a = tile.atomic_rmw "and" %v, %x[%t] : tensor<16xf32>, memref<16xf32>[!tile.tile] -> tensor<16xf32>
  tile.return
}

// -----

tile.kernel @unlowerable(%x: memref<16xf32>) attributes {tile.num_programs = 1 : i64} {
  %one = arith.constant 1.0 : f32
  %pid = tile.program_id
  %v = tile.full %one : f32 -> tensor<16xf32>
  // expected-error @+1 {{'tile.rebind' op cannot be lowered to TTIR}}
  %r = tile.rebind %v : tensor<16xf32> -> tensor<16xf32>
  tile.return
}

// -----

tile.kernel @wide_range(%x: memref<16xi64>) attributes {tile.num_programs = 1 : i64} {
  %pid = tile.program_id
  // expected-error @+1 {{range [4294967296, 4294967312) does not fit tt.make_range's 32-bit bounds}}
  %r = tile.arange 4294967296 to 4294967312 : tensor<16xi64>
  tile.return
}

// -----

tile.kernel @cas_past_the_end(%x: memref<100xi32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c100 = arith.constant 100 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0 : i32
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c100, %c64
  %v = tile.full %zero : i32 -> tensor<64xi32>
  // expected-error @+1 {{needs indices that stay in bounds: Triton's atomic_cas takes no mask}}
  %a = tile.atomic_cas %v, %v, %x[%t] : tensor<64xi32>, tensor<64xi32>, memref<100xi32>[!tile.tile] -> tensor<64xi32>
  tile.return
}
