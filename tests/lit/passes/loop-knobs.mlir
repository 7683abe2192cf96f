// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-num-stages=0,3 range-multi-buffers=-1,0 range-warp-specializes=-1,1 range-flattens=-1,1" | FileCheck %s --check-prefix=APPLY
// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-num-stages=0,3 range-multi-buffers=-1,0 range-warp-specializes=-1,1 range-flattens=-1,1" --helion-lower-tile-loops | FileCheck %s --check-prefix=LOWER
// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-unroll-factors=0,2" --helion-lower-tile-loops | FileCheck %s --check-prefix=UNROLL
// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 static-ranges=0,1" --helion-lower-tile-loops | FileCheck %s --check-prefix=FULL
// RUN: not helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-num-stages=3" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-num-stages=2,3" --helion-lower-grid 2>&1 | FileCheck %s --check-prefix=GRID
// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=32,16 range-num-stages=2,3 range-warp-specializes=1,-1" --helion-lower-grid="pid-type=persistent_interleaved num-workers=3" | FileCheck %s --check-prefix=PERSIST
// RUN: helion-opt %s -split-input-file --helion-apply-config="block-sizes=16,16 range-unroll-factors=2,0" --helion-lower-grid="pid-type=persistent_blocked num-workers=3" | FileCheck %s --check-prefix=BLOCKED

// The per-loop knobs (grid first): apply-config records them on the user's
// tile.for; lower-tile-loops puts them on the scf.for as Triton's attributes,
// or unrolls it (by a factor, or fully for static_ranges).
// APPLY-LABEL: tile.kernel @k
// APPLY: tile.for
// APPLY-SAME: disallow_multi_buffer, flatten, num_stages = 3 : i64, warp_specialize
// LOWER-LABEL: tile.kernel @k
// LOWER: scf.for
// LOWER: tile.dot
// LOWER: {tt.disallow_acc_multi_buffer, tt.flatten, tt.num_stages = 3 : i32, tt.warp_specialize}
// UNROLL-LABEL: tile.kernel @k
// UNROLL: scf.for %{{.*}} = %c0 to %c64 step %c32
// UNROLL-COUNT-2: tile.dot
// FULL-LABEL: tile.kernel @k
// FULL-NOT: scf.for
// FULL-COUNT-4: tile.dot
// COUNT: range-num-stages has 1 entries; the kernel has 2 loops (the grid, then each hl.tile loop)
// GRID: the grid loop's knobs (entry 0 of the range_* Config lists) need a persistent pid_type
// A persistent grid: min(2 tiles, 3 workers) = 2 programs, each looping over
// every 2nd tile from its id; the grid's knobs go on that loop.
// PERSIST-LABEL: tile.kernel @k
// PERSIST-SAME: tile.num_programs = 2 : i64
// PERSIST: %[[PID:.*]] = tile.program_id
// PERSIST: scf.for %[[V:.*]] = %[[PID]] to %{{.*}} step %{{.*}} {
// PERSIST: arith.muli %[[V]], %c32
// PERSIST: tile.for
// PERSIST: tile.store
// PERSIST: } {tt.num_stages = 2 : i32, tt.warp_specialize}
// Blocked: 4 tiles over 3 workers, ceil(4 / 3) = 2 consecutive tiles each
// (the loop unrolled by 2 here: two bodies per iteration).
// BLOCKED-LABEL: tile.kernel @k
// BLOCKED-SAME: tile.num_programs = 3 : i64
// BLOCKED: %[[PID:.*]] = tile.program_id
// BLOCKED: %[[FIRST:.*]] = arith.muli %[[PID]], %{{.*}} : index
// BLOCKED: scf.for %{{.*}} = %[[FIRST]] to %{{.*}} step
// BLOCKED-COUNT-2: tile.store
tile.kernel @k(%x: memref<64x64xf32>, %y: memref<64x64xf32>, %out: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %b0 = tile.block_size 0 {extent = 64 : i64}
  %b1 = tile.block_size 1 {extent = 64 : i64}
  %f = arith.constant 0.0 : f32
  tile.grid (%m) = (%c0) to (%c64) step (%b0) {
    %z = tile.full %f : f32 -> tensor<?x64xf32, #tile.dims<[0, -1]>>
    %all = tile.make_tile %c0, %c64, %c64
    %r = tile.for (%k) = (%c0) to (%c64) step (%b1) iter_args(%acc = %z) -> (tensor<?x64xf32, #tile.dims<[0, -1]>>) {
      %a = tile.load %x[%m, %k] : memref<64x64xf32>[!tile.tile, !tile.tile] -> tensor<?x?xf32, #tile.dims<[0, 1]>>
      %b = tile.load %y[%k, %all] : memref<64x64xf32>[!tile.tile, !tile.tile] -> tensor<?x64xf32, #tile.dims<[1, -1]>>
      %d = tile.dot %a, %b, %acc : tensor<?x?xf32, #tile.dims<[0, 1]>>, tensor<?x64xf32, #tile.dims<[1, -1]>>, tensor<?x64xf32, #tile.dims<[0, -1]>> -> tensor<?x64xf32, #tile.dims<[0, -1]>>
      tile.yield %d : tensor<?x64xf32, #tile.dims<[0, -1]>>
    }
    tile.store %r, %out[%m, %all] : tensor<?x64xf32, #tile.dims<[0, -1]>>, memref<64x64xf32>[!tile.tile, !tile.tile]
    tile.yield
  }
  tile.return
}
