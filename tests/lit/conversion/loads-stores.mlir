// RUN: helion-opt %s -split-input-file --convert-tile-to-triton | FileCheck %s

// An unmasked tile: pointer splat plus the tile's offsets, no mask operands.
// CHECK-LABEL: "tt.func"
// CHECK: %[[PID:.*]] = "tt.get_program_id"() {axis = 0 : i32} : () -> i32
// CHECK: %[[R:.*]] = "tt.make_range"() {end = 32 : i32, start = 0 : i32} : () -> tensor<32xi32>
// CHECK: %[[OFF:.*]] = arith.addi %{{.*}}, %[[R]] : tensor<32xi32>
// CHECK-NOT: arith.cmpi
// CHECK: %[[P:.*]] = "tt.splat"(%arg0) : (!tt.ptr<f32>) -> tensor<32x!tt.ptr<f32>>
// CHECK: %[[Q:.*]] = "tt.addptr"(%[[P]], %[[OFF]])
// CHECK: "tt.load"(%[[Q]]) {{.*}}operandSegmentSizes = array<i32: 1, 0, 0>{{.*}} -> tensor<32xf32>
// CHECK: sym_name = "load_unmasked"
tile.kernel @load_unmasked(%x: memref<128xf32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c128, %c32
  %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<128xf32>[!tile.tile] -> tensor<32xf32>
  tile.return
}

// -----

// A tile that may run past its bound gets `index < bound`; masked-off lanes
// read `other`, splatted to the tile's shape.
// CHECK-LABEL: "tt.func"
// CHECK: %[[IDX:.*]] = arith.addi
// CHECK: %[[BOUND:.*]] = arith.constant dense<100> : tensor<32xi32>
// CHECK: %[[M:.*]] = arith.cmpi slt, %[[IDX]], %[[BOUND]] : tensor<32xi32>
// CHECK: %[[OTHER:.*]] = arith.constant dense<-1.000000e+00> : tensor<32xf32>
// CHECK: "tt.load"(%{{.*}}, %[[M]], %[[OTHER]]) {{.*}}operandSegmentSizes = array<i32: 1, 1, 1>
// CHECK: sym_name = "load_masked_other"
tile.kernel @load_masked_other(%x: memref<100xf32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c100 = arith.constant 100 : index
  %minus1 = arith.constant -1.0 : f32
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c100, %c32
  %v = tile.load %x[%t] other(%minus1 : f32) : memref<100xf32>[!tile.tile] -> tensor<32xf32>
  tile.return
}

// -----

// Column-major x (strides [1, 8]): the scalar row index moves the base
// pointer by itself (stride 1); the column tile's offsets are scaled by 8.
// CHECK-LABEL: "tt.func"
// CHECK: %[[COL:.*]] = arith.muli %{{.*}}, %{{.*}} : tensor<16xi32>
// CHECK: %[[BASE:.*]] = "tt.addptr"(%arg0, %arg1) : (!tt.ptr<f16>, i32) -> !tt.ptr<f16>
// CHECK: %[[PS:.*]] = "tt.splat"(%[[BASE]]) : (!tt.ptr<f16>) -> tensor<16x!tt.ptr<f16>>
// CHECK: "tt.addptr"(%[[PS]], %[[COL]])
// CHECK: "tt.load"({{.*}}) -> tensor<16xf16>
// A scalar load reads through a scalar pointer: row + 3 * 8.
// CHECK: %[[C:.*]] = arith.muli %c3_i32, %c8_i32 : i32
// CHECK: %[[O:.*]] = arith.addi %arg1, %[[C]] : i32
// CHECK: %[[SP:.*]] = "tt.addptr"(%arg0, %[[O]]) : (!tt.ptr<f16>, i32) -> !tt.ptr<f16>
// CHECK: "tt.load"(%[[SP]]) {{.*}}: (!tt.ptr<f16>) -> f16
// CHECK: sym_name = "scalar_index"
tile.kernel @scalar_index(%x: memref<8x64xf16, strided<[1, 8]>>, %row: index) attributes {tile.num_programs = 4 : i64} {
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c3 = arith.constant 3 : index
  %pid = tile.program_id
  %begin = arith.muli %pid, %c16 : index
  %t = tile.make_tile %begin, %c64, %c16
  %v = tile.load %x[%row, %t] {bounds_check = array<i1: false, false>} : memref<8x64xf16, strided<[1, 8]>>[index, !tile.tile] -> tensor<16xf16>
  %s = tile.load %x[%row, %c3] : memref<8x64xf16, strided<[1, 8]>>[index, index] -> f16
  tile.return
}

// -----

// A gather: the integer tensor index is cast to the offset width, scaled by
// the stride and placed at the dims it contributes.
// CHECK-LABEL: "tt.func"
// CHECK: %[[IDS:.*]] = "tt.load"({{.*}}) -> tensor<16xi64>
// CHECK: %[[NARROW:.*]] = arith.trunci %[[IDS]] : tensor<16xi64> to tensor<16xi32>
// CHECK: %[[SCALED:.*]] = arith.muli %[[NARROW]], %{{.*}} : tensor<16xi32>
// CHECK: "tt.expand_dims"(%[[SCALED]]) {axis = 1 : i32} : (tensor<16xi32>) -> tensor<16x1xi32>
// CHECK: "tt.load"({{.*}}) -> tensor<16x8xf32>
// CHECK: sym_name = "gather"
tile.kernel @gather(%ids: memref<16xi64>, %table: memref<1000x8xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %c16, %c16
  %all = tile.make_tile %c0, %c8, %c8
  %i = tile.load %ids[%t] {bounds_check = array<i1: false>} : memref<16xi64>[!tile.tile] -> tensor<16xi64>
  %g = tile.load %table[%i, %all] {bounds_check = array<i1: false, false>} : memref<1000x8xf32>[tensor<16xi64>, !tile.tile] -> tensor<16x8xf32>
  tile.return
}

// -----

// A store with a user mask and a bounds mask: the two are and-ed.
// CHECK-LABEL: "tt.func"
// CHECK: %[[B:.*]] = arith.cmpi slt
// CHECK: %[[BOTH:.*]] = arith.andi %[[B]], %{{.*}} : tensor<32xi1>
// CHECK: "tt.store"(%{{.*}}, %{{.*}}, %[[BOTH]]) {boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32}
// CHECK: sym_name = "store_masked"
tile.kernel @store_masked(%x: memref<100xf32>, %keep: i1) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c100, %c32
  %v = tile.full %zero : f32 -> tensor<32xf32>
  %m = tile.full %keep : i1 -> tensor<32xi1>
  tile.store %v, %x[%t] mask(%m : tensor<32xi1>) : tensor<32xf32>, memref<100xf32>[!tile.tile]
  tile.return
}

// -----

// Atomics: float add is FADD (5), integer max is MAX (6); acq_rel (4) at gpu
// scope (1).
// CHECK-LABEL: "tt.func"
// CHECK: "tt.atomic_rmw"(%{{.*}}, %{{.*}}) {atomic_rmw_op = 5 : i32, scope = 1 : i32, sem = 4 : i32} : (tensor<32x!tt.ptr<f32>>, tensor<32xf32>) -> tensor<32xf32>
// CHECK: "tt.atomic_rmw"(%{{.*}}, %{{.*}}) {atomic_rmw_op = 6 : i32, scope = 1 : i32, sem = 4 : i32} : (tensor<32x!tt.ptr<i32>>, tensor<32xi32>) -> tensor<32xi32>
// CHECK: "tt.atomic_rmw"(%{{.*}}, %{{.*}}) {atomic_rmw_op = 4 : i32, scope = 1 : i32, sem = 1 : i32} : (tensor<32x!tt.ptr<i32>>, tensor<32xi32>) -> tensor<32xi32>
// CHECK: "tt.atomic_rmw"(%{{.*}}, %{{.*}}) {atomic_rmw_op = 10 : i32, scope = 1 : i32, sem = 2 : i32}
// CHECK: "tt.atomic_rmw"(%{{.*}}, %{{.*}}) {atomic_rmw_op = 1 : i32, scope = 1 : i32, sem = 3 : i32}
// CHECK: sym_name = "atomics"
tile.kernel @atomics(%x: memref<128xf32>, %y: memref<128xi32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %one = arith.constant 1.0 : f32
  %seven = arith.constant 7 : i32
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c128, %c32
  %v = tile.full %one : f32 -> tensor<32xf32>
  %w = tile.full %seven : i32 -> tensor<32xi32>
  %a = tile.atomic_rmw "add" %v, %x[%t] {bounds_check = array<i1: false>} : tensor<32xf32>, memref<128xf32>[!tile.tile] -> tensor<32xf32>
  %b = tile.atomic_rmw "max" %w, %y[%t] {bounds_check = array<i1: false>} : tensor<32xi32>, memref<128xi32>[!tile.tile] -> tensor<32xi32>
  %c = tile.atomic_rmw "add" %w, %y[%t] {bounds_check = array<i1: false>, sem = "relaxed"} : tensor<32xi32>, memref<128xi32>[!tile.tile] -> tensor<32xi32>
  %d = tile.atomic_rmw "xchg" %w, %y[%t] {bounds_check = array<i1: false>, sem = "acquire"} : tensor<32xi32>, memref<128xi32>[!tile.tile] -> tensor<32xi32>
  %e = tile.atomic_rmw "and" %w, %y[%t] {bounds_check = array<i1: false>, sem = "release"} : tensor<32xi32>, memref<128xi32>[!tile.tile] -> tensor<32xi32>
  tile.return
}

// -----

// Float max/min: integer atomics on the bits through an i32 view of the
// pointers: signed max (6) where the value is non-negative, unsigned min (9)
// where it is negative, each under its lanes' mask; min is signed min (7)
// and unsigned max (8). The old value is the chosen one, bitcast back.
// CHECK-LABEL: "tt.func"
// CHECK: %[[BITS:.*]] = "tt.bitcast"(%{{.*}}) : (tensor<32xf32>) -> tensor<32xi32>
// CHECK: %[[PTR:.*]] = "tt.bitcast"(%{{.*}}) : (tensor<32x!tt.ptr<f32>>) -> tensor<32x!tt.ptr<i32>>
// CHECK: %[[POS:.*]] = arith.cmpi sge, %[[BITS]]
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[BITS]]
// CHECK: %[[A:.*]] = "tt.atomic_rmw"(%[[PTR]], %[[BITS]], %[[POS]]) {atomic_rmw_op = 6 : i32
// CHECK: %[[B:.*]] = "tt.atomic_rmw"(%[[PTR]], %[[BITS]], %[[NEG]]) {atomic_rmw_op = 9 : i32
// CHECK: %[[OLD:.*]] = arith.select %[[POS]], %[[A]], %[[B]]
// CHECK: "tt.bitcast"(%[[OLD]]) : (tensor<32xi32>) -> tensor<32xf32>
// CHECK: {atomic_rmw_op = 7 : i32
// CHECK: {atomic_rmw_op = 8 : i32
// CHECK: sym_name = "float_extremes"
tile.kernel @float_extremes(%x: memref<128xf32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c128, %c32
  %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<128xf32>[!tile.tile] -> tensor<32xf32>
  %a = tile.atomic_rmw "max" %v, %x[%t] {bounds_check = array<i1: false>} : tensor<32xf32>, memref<128xf32>[!tile.tile] -> tensor<32xf32>
  %b = tile.atomic_rmw "min" %a, %x[%t] {bounds_check = array<i1: false>} : tensor<32xf32>, memref<128xf32>[!tile.tile] -> tensor<32xf32>
  tile.store %b, %x[%t] {bounds_check = array<i1: false>} : tensor<32xf32>, memref<128xf32>[!tile.tile]
  tile.return
}

// -----

// Eviction hints: evict_first is 2, evict_last 3, none 1.
// CHECK-LABEL: "tt.func"
// CHECK: "tt.load"(%{{.*}}) {{{.*}}evict = 2 : i32
// CHECK: "tt.load"(%{{.*}}) {{{.*}}evict = 3 : i32
// CHECK: "tt.load"(%{{.*}}) {{{.*}}evict = 1 : i32
// CHECK: sym_name = "evictions"
tile.kernel @evictions(%x: memref<128xf32>) attributes {tile.num_programs = 4 : i64} {
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %t = tile.make_tile %begin, %c128, %c32
  %a = tile.load %x[%t] {bounds_check = array<i1: false>, eviction_policy = "evict_first"} : memref<128xf32>[!tile.tile] -> tensor<32xf32>
  %b = tile.load %x[%t] {bounds_check = array<i1: false>, eviction_policy = "evict_last"} : memref<128xf32>[!tile.tile] -> tensor<32xf32>
  %c = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<128xf32>[!tile.tile] -> tensor<32xf32>
  tile.return
}

// -----

// Offsets that may pass 2^31 - 1 are computed in i64.
// CHECK-LABEL: "tt.func"
// CHECK: %[[R:.*]] = "tt.make_range"() {end = 64 : i32, start = 0 : i32} : () -> tensor<64xi32>
// CHECK: arith.extsi %[[R]] : tensor<64xi32> to tensor<64xi64>
// CHECK: "tt.addptr"(%{{.*}}, %{{.*}}) : (tensor<64x!tt.ptr<f32>>, tensor<64xi64>)
// CHECK: sym_name = "wide"
tile.kernel @wide(%x: memref<4294967296xf32>) attributes {tile.num_programs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %big = arith.constant 4294967296 : index
  %pid = tile.program_id
  %t = tile.make_tile %c0, %big, %c64
  %v = tile.load %x[%t] {bounds_check = array<i1: false>} : memref<4294967296xf32>[!tile.tile] -> tensor<64xf32>
  tile.return
}

// -----

// Compare-and-swap: tt.atomic_cas(ptr, cmp, value) with the op's sem.
// CHECK-LABEL: "tt.func"
// CHECK: "tt.atomic_cas"(%{{.*}}, %{{.*}}, %{{.*}}) {scope = 1 : i32, sem = 2 : i32} : (!tt.ptr<i32>, i32, i32) -> i32
// CHECK: sym_name = "lock"
tile.kernel @lock(%x: memref<4xi32>) attributes {tile.num_programs = 4 : i64} {
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %pid = tile.program_id
  %old = tile.atomic_cas %zero, %one, %x[%pid] {sem = "acquire"} : i32, i32, memref<4xi32>[index] -> i32
  tile.return
}

// -----

// Config.indexing: a tensor descriptor made once at entry (shape i32,
// strides i64), a descriptor load at the tile begins; a block pointer for
// the store, bounds checked on dim 0 only (the tile of 32 may pass row 100);
// a transposed tensor falls back to pointers and says why.
// CHECK-LABEL: "tt.func"
// CHECK: %[[D:.*]] = "tt.make_tensor_descriptor"(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!tt.ptr<f16>, i32, i32, i64, i64) -> !tt.tensordesc<tensor<32x64xf16>>
// CHECK: %[[V:.*]] = "tt.descriptor_load"(%[[D]], %{{.*}}, %{{.*}}) : (!tt.tensordesc<tensor<32x64xf16>>, i32, i32) -> tensor<32x64xf16>
// CHECK: %[[P:.*]] = "tt.make_tensor_ptr"(%arg1, %{{.*}}) {order = array<i32: 1, 0>} : (!tt.ptr<f16>, i64, i64, i64, i64, i32, i32) -> !tt.ptr<tensor<32x64xf16>>
// CHECK: "tt.store"(%[[P]], %[[V]]) {boundaryCheck = array<i32: 0>, cache = 1 : i32, evict = 1 : i32}
// CHECK: "tt.load"(%{{.*}}) {boundaryCheck = array<i32>
// CHECK: tile.indexing_fallbacks = ["{{.*}}loads-stores.mlir:{{[0-9]+}}: load uses pointers, not tensor_descriptor: its last dim is not contiguous"]
tile.kernel @indexing(%x: memref<100x64xf16> {tile.aligned}, %y: memref<100x64xf16>, %z: memref<100x64xf16, strided<[1, 100]>> {tile.aligned}) attributes {tile.num_programs = 4 : i64} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %pid = tile.program_id
  %begin = arith.muli %pid, %c32 : index
  %m = tile.make_tile %begin, %c100, %c32
  %n = tile.make_tile %c0, %c64, %c64
  %v = tile.load %x[%m, %n] {bounds_check = array<i1: true, false>, indexing = "tensor_descriptor"} : memref<100x64xf16>[!tile.tile, !tile.tile] -> tensor<32x64xf16>
  tile.store %v, %y[%m, %n] {bounds_check = array<i1: true, false>, indexing = "block_ptr"} : tensor<32x64xf16>, memref<100x64xf16>[!tile.tile, !tile.tile]
  %w = tile.load %z[%m, %n] {bounds_check = array<i1: false, false>, indexing = "tensor_descriptor"} : memref<100x64xf16, strided<[1, 100]>>[!tile.tile, !tile.tile] -> tensor<32x64xf16>
  tile.return
}
