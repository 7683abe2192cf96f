// RUN: not helion-opt %s --helion-to-ttir="block-sizes=48" 2>&1 | FileCheck %s --check-prefix=POW2
// RUN: not helion-opt %s --helion-to-ttir="block-sizes=16,16" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not helion-opt %s --helion-to-ttir="block-sizes=16 reduction-loops=32" 2>&1 | FileCheck %s --check-prefix=ROLL
// RUN: not helion-opt %s --helion-to-ttir="block-sizes=16 index-bits=8" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not helion-opt %s --helion-to-ttir="block-sizes=x" 2>&1 | FileCheck %s --check-prefix=PARSE

// A bad Config reaches the passes only from helion-opt (Python normalizes it
// first); each pass names what is wrong.
// POW2: error: 'tile.block_size' op block_sizes[0] = 48 must be a power of two
// COUNT: error: the kernel has 1 tile block sizes but the Config gives 2 (block_sizes)
// ROLL: error: reduction-loops has 1 entries but the kernel has 0 reduction dims
// BITS: error: index-bits must be 32 or 64
// PARSE: for the --block-sizes option: 'x' value invalid
tile.kernel @k(%x: memref<100xf32>) {
  %b0 = tile.block_size 0 {extent = 100 : i64}
  %c0 = arith.constant 0 : index
  %m = arith.constant 100 : index
  tile.grid (%i) = (%c0) to (%m) step (%b0) {
    %v = tile.load %x[%i] : memref<100xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
    tile.store %v, %x[%i] : tensor<?xf32, #tile.dims<[0]>>, memref<100xf32>[!tile.tile]
    tile.yield
  }
  tile.return
}
