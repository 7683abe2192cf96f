// RUN: helion-opt %s -split-input-file --helion-apply-access-knobs="load-eviction-policies=1,0,2" | FileCheck %s
// RUN: helion-opt %s -split-input-file -verify-diagnostics --helion-apply-access-knobs="load-eviction-policies=1,0" -o /dev/null
// RUN: helion-opt %s -split-input-file --helion-apply-access-knobs="indexing=2" | FileCheck %s --check-prefix=ONE
// RUN: helion-opt %s -split-input-file --helion-apply-access-knobs="indexing=0,1,2" | FileCheck %s --check-prefix=EACH

// One entry per load in program order (the inner loop's load last); 0 keeps
// the policy the kernel wrote (here hl.load's evict_last), or none.
// CHECK-LABEL: tile.kernel @k
// CHECK: tile.load %arg0[%{{.*}}] {eviction_policy = "evict_first"}
// CHECK: tile.load %arg0[%{{.*}}] {eviction_policy = "evict_last"}
// CHECK: tile.for
// CHECK: tile.load %arg1[%{{.*}}] {eviction_policy = "evict_last"}
// Config.indexing: one entry for every load and store, or one each.
// ONE-COUNT-3: indexing = "tensor_descriptor"
// EACH: tile.load %arg0[%{{.*}}] {indexing = "pointer"}
// EACH: tile.load %arg0[%{{.*}}] {eviction_policy = "evict_last", indexing = "block_ptr"}
// EACH: tile.load %arg1[%{{.*}}] {indexing = "tensor_descriptor"}
// expected-error @+1 {{load-eviction-policies has 2 entries; the kernel has 3 loads}}
module {
tile.kernel @k(%x: memref<64xf32>, %y: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  tile.grid (%t) = (%c0) to (%c64) step (%c16) {
    %a = tile.load %x[%t] : memref<64xf32>[!tile.tile] -> tensor<16xf32>
    %b = tile.load %x[%t] {eviction_policy = "evict_last"} : memref<64xf32>[!tile.tile] -> tensor<16xf32>
    tile.for (%u) = (%c0) to (%c64) step (%c16) {
      %c = tile.load %y[%u] : memref<64xf32>[!tile.tile] -> tensor<16xf32>
      tile.yield
    }
    tile.yield
  }
  tile.return
}
}
