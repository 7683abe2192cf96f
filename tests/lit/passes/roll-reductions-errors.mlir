// RUN: helion-opt %s --split-input-file --verify-diagnostics --helion-roll-reductions="reduction-loops=32"

// A value over the looped dim carried through a loop cannot be chunked.
tile.kernel @carried(%x: memref<8x100xf32>) {
  %b0 = tile.block_size 0 {extent = 8 : i64}
  %b1 = tile.block_size 1 {extent = 4 : i64}
  %r = tile.block_size 2 {extent = 100 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  tile.grid (%i) = (%c0) to (%c8) step (%b0) {
    %all = tile.make_tile %c0, %c100, %r
    %init = tile.full %zero : f32 -> tensor<?x?xf32, #tile.dims<[0, 2]>>
    // expected-error @+1 {{cannot loop reduction_loops[0] (the dim of extent 100): it is carried through a loop or region; use None (persistent) for it}}
    %acc = tile.for (%j) = (%c0) to (%c4) step (%b1) iter_args(%a = %init) -> (tensor<?x?xf32, #tile.dims<[0, 2]>>) {
      %v = tile.load %x[%i, %all] : memref<8x100xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 2]>>
      %s = arith.addf %a, %v : tensor<?x?xf32, #tile.dims<[0, 2]>>
      tile.yield %s : tensor<?x?xf32, #tile.dims<[0, 2]>>
    }
    tile.store %acc, %x[%i, %all] : tensor<?x?xf32, #tile.dims<[0, 2]>>, memref<8x100xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// A static-size value mixed with the dim (tile.rebind) pins it to its extent.
tile.kernel @rebind(%x: memref<8x128xf32>) {
  %b0 = tile.block_size 0 {extent = 8 : i64}
  %r = tile.block_size 1 {extent = 128 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  tile.grid (%i) = (%c0) to (%c8) step (%b0) {
    %all = tile.make_tile %c0, %c128, %r
    %v = tile.load %x[%i, %all] : memref<8x128xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    // expected-error @+1 {{cannot loop reduction_loops[0] (the dim of extent 128): it is mixed with a tensor of static size}}
    %s = tile.rebind %v : tensor<?x?xf32, #tile.dims<[0, 1]>> -> tensor<?x128xf32, #tile.dims<[0, -1]>>
    tile.yield
  }
  tile.return
}

// -----

// The sum re-reads x chunk by chunk, but x was overwritten after the first read.
tile.kernel @overwritten(%x: memref<8x100xf32>, %out: memref<8xf32>) {
  %b0 = tile.block_size 0 {extent = 8 : i64}
  %r = tile.block_size 1 {extent = 100 : i64, reduction}
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  tile.grid (%i) = (%c0) to (%c8) step (%b0) {
    %all = tile.make_tile %c0, %c100, %r
    // expected-note @+1 {{the read}}
    %v = tile.load %x[%i, %all] : memref<8x100xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    %z = tile.full %zero : f32 -> tensor<?x?xf32, #tile.dims<[0, 1]>>
    // expected-note @+1 {{the write}}
    tile.store %z, %x[%i, %all] : tensor<?x?xf32, #tile.dims<[0, 1]>>, memref<8x100xf32>[!tile.tile, !tile.tile]
    // expected-error @+1 {{cannot loop reduction_loops[0] (the dim of extent 100): it re-reads a tensor written after the first read}}
    %s = tile.reduce(%v) axis = 1 : (tensor<?x?xf32, #tile.dims<[0, 1]>>) -> tensor<?xf32, #tile.dims<[0]>> {
    ^bb0(%a: f32, %b: f32):
      %r0 = arith.addf %a, %b : f32
      tile.yield %r0 : f32
    }
    tile.store %s, %out[%i] : tensor<?xf32, #tile.dims<[0]>>, memref<8xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}
