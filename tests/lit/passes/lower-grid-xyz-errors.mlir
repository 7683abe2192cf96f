// RUN: not helion-opt %s -split-input-file --helion-lower-grid="pid-type=xyz" 2>&1 | FileCheck %s

// pid_type=xyz refusals (the ConfigSpec refuses the first two as InvalidConfig before the pass runs).


// L2 grouping reorders a linear id, which xyz does not have.
// CHECK: l2_grouping 2 needs a flat or persistent pid_type
tile.kernel @grouped(%x: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %m = arith.constant 128 : index
  %n = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c32, %c32) attributes {l2_grouping = 2 : i64} {
    %v = tile.load %x[%i, %j] : memref<128x64xf32>[!tile.tile, !tile.tile] -> tensor<32x32xf32>
    tile.store %v, %x[%i, %j] : tensor<32x32xf32>, memref<128x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// Launch axes y and z take at most 65535 programs.
// CHECK: pid_type 'xyz': grid dim 1 has 131072 tiles, over the launch axis limit of 65535
tile.kernel @too_many(%x: memref<2x131072xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = arith.constant 2 : index
  %n = arith.constant 131072 : index
  tile.grid (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    %v = tile.load %x[%i, %j] : memref<2x131072xf32>[!tile.tile, !tile.tile] -> tensor<1x1xf32>
    tile.store %v, %x[%i, %j] : tensor<1x1xf32>, memref<2x131072xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}

// -----

// CHECK: pid_type 'xyz' maps grid dims to the 3 launch axes; this grid has 4 dims
tile.kernel @four(%x: memref<2x2x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  tile.grid (%a, %b, %c, %d) = (%c0, %c0, %c0, %c0) to (%c2, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = tile.load %x[%a, %b, %c, %d] : memref<2x2x2x2xf32>[!tile.tile, !tile.tile, !tile.tile, !tile.tile] -> tensor<1x1x1x1xf32>
    tile.store %v, %x[%a, %b, %c, %d] : tensor<1x1x1x1xf32>, memref<2x2x2x2xf32>[!tile.tile, !tile.tile, !tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
