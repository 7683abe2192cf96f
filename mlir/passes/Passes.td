#ifndef HELION_PASSES
#define HELION_PASSES

include "mlir/Pass/PassBase.td"

def ApplyConfig : Pass<"helion-apply-config", "mlir::ModuleOp"> {
  let summary = "Bind a Config: block sizes become constants and static tile shapes";
  let description = [{
    Replaces every `tile.block_size` by the Config's value for its slot (a
    reduction slot becomes the next power of two of its extent, the persistent
    strategy, unless helion-roll-reductions looped it: then its
    `looped_block`), rewrites `#tile.dims` tensor types to
    static shapes, and records `loop_order` and `l2_grouping` on the loops
    they apply to, for the passes that follow.
  }];
  let options = [
    ListOption<"blockSizes", "block-sizes", "int64_t",
               "Block size of each tile slot (Config.block_sizes)">,
    ListOption<"loopOrders", "loop-orders", "int64_t",
               "Permutations of the multi-dim loops, concatenated in program order (Config.loop_orders)">,
    ListOption<"l2Groupings", "l2-groupings", "int64_t",
               "Rows of tiles grouped together for L2 reuse, per grid (Config.l2_groupings)">,
    ListOption<"rangeNumStages", "range-num-stages", "int64_t",
               "Pipelining stages per loop, grid first, 0 = Triton's default (Config.range_num_stages)">,
    ListOption<"rangeUnrollFactors", "range-unroll-factors", "int64_t",
               "Unroll factor per loop, grid first, 0 or 1 = none (Config.range_unroll_factors)">,
    ListOption<"rangeMultiBuffers", "range-multi-buffers", "int64_t",
               "Per loop, grid first: -1 = default, 0 = no accumulator multi-buffering, 1 = allowed (Config.range_multi_buffers)">,
    ListOption<"rangeWarpSpecializes", "range-warp-specializes", "int64_t",
               "Per loop, grid first: -1/0 = no, 1 = warp-specialize (Config.range_warp_specializes)">,
    ListOption<"rangeFlattens", "range-flattens", "int64_t",
               "Per loop, grid first: -1/0 = no, 1 = flatten the loop nest (Config.range_flattens)">,
    ListOption<"staticRanges", "static-ranges", "int64_t",
               "Per loop, grid first: 1 = unroll fully (Config.static_ranges)">,
    ListOption<"flattenLoops", "flatten-loops", "int64_t",
               "Per multi-dim loop, grid first: 1 = one loop over all tile combinations (Config.flatten_loops)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def LegalizeForTriton : Pass<"helion-legalize-for-triton", "mlir::ModuleOp"> {
  let summary = "Rewrite target-neutral tile IR into what Triton's ops take";
  let description = [{
    Records `min_block` on every block-size slot that reaches a tile.dot dim
    (16, or 32 for the K of 8-bit operands), widens a static dot K below that
    minimum with zeroed copies, runs reductions over f16/bf16 values in f32
    (bit-identical: the combine region rounds at each step), and rewrites
    tile.extract_slice as a one-hot select and a sum. The first pass of
    helion-to-ttir; the frontend also runs it to learn the minima for the
    ConfigSpec.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def ApplyAccessKnobs : Pass<"helion-apply-access-knobs", "mlir::ModuleOp"> {
  let summary = "Set each load's eviction hint and each access's indexing (per-access Config knobs)";
  let description = [{
    `load-eviction-policies`: one entry per tile.load in program order, 0
    keeps the load's own policy (hl.load's eviction_policy, or none), 1 sets
    evict_first, 2 evict_last. `indexing`: one entry for all loads and
    stores, or one per load/store in program order: 0 pointer, 1 block_ptr,
    2 tensor_descriptor (convert-tile-to-triton falls back to pointers
    where a block access is illegal and says why). Runs before
    helion-roll-reductions, so accesses it clones keep their knobs.
  }];
  let options = [
    ListOption<"policies", "load-eviction-policies", "int64_t",
               "Per load: 0 = the kernel's own, 1 = evict_first, 2 = evict_last (Config.load_eviction_policies)">,
    ListOption<"indexing", "indexing", "int64_t",
               "One for all, or per load/store: 0 = pointer, 1 = block_ptr, 2 = tensor_descriptor (Config.indexing)">,
  ];
}

def RollReductions : Pass<"helion-roll-reductions", "mlir::ModuleOp"> {
  let summary = "Loop a reduction dim in chunks (Config.reduction_loops)";
  let description = [{
    For each reduction slot whose reduction-loops entry is a power of two
    below its extent, every sink of values over that dim (a tile.reduce over
    it, a store, an atomic) becomes a tile.for over chunks of the dim that
    recomputes the values it needs. Reductions combine chunks elementwise with
    their own combine region (the first chunk is peeled) and reduce once after
    the loop. The slot's tile.block_size gets `looped_block` = the chunk size.
    Values that cross a loop or meet a static size (tile.rebind) are refused
    with an error naming the op.
  }];
  let options = [
    ListOption<"reductionLoops", "reduction-loops", "int64_t",
               "Chunk size of each reduction slot in slot order; 0 = persistent (Config.reduction_loops)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def ReorderLoops : Pass<"helion-reorder-loops", "mlir::ModuleOp"> {
  let summary = "Permute the dims of multi-dim loops as their loop_order says";
  let description = [{
    A `loop_order` attribute (set by apply-config from Config.loop_orders)
    lists the loop's dims in their new order. For `tile.grid` the first dim
    varies fastest across program ids; for `tile.for` the first dim is the
    outermost loop. The pass permutes bounds, steps and body arguments and
    drops the attribute.
  }];
}

def EliminateMasks : Pass<"helion-eliminate-masks", "mlir::ModuleOp"> {
  let summary = "Drop the implicit bounds masks that can never be false";
  let description = [{
    A tile of a loop `lb to ub step b` needs a bounds mask only when b may not
    divide ub - lb; a `tile.make_tile begin, bound, block` only when
    begin + block may exceed bound. With static shapes most masks vanish.
    The result is recorded in `bounds_check` on each load, store and atomic
    (scalar indices never need one). `tile.mask` of a full tile becomes a
    constant all-true tensor.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def LowerGrid : Pass<"helion-lower-grid", "mlir::ModuleOp"> {
  let summary = "Map program ids to tiles (PID mapping with optional L2 swizzling)";
  let description = [{
    Replaces the `tile.grid` by its body, computing each dim's tile from
    `tile.program_id`: dim 0 varies fastest. With `l2_grouping = g` (g > 1)
    on a grid of two or more dims, programs walk groups of g tiles of dim 0
    for each tile of dim 1 (grouped ordering) so that neighbouring programs
    share operands in L2. The kernel gets `tile.num_programs` when the grid
    size is static.

    With a persistent pid_type the kernel launches min(tiles, num-workers)
    programs, and each loops (scf.for) over its tiles: a contiguous range
    (persistent_blocked) or every num-workers-th tile
    (persistent_interleaved). The grid's loop knobs go on that loop.

    With pid-type=xyz, grid dim d (at most 3) takes its tile from program id
    axis d; the launch shape goes in `tile.grid_shape`.
  }];
  let options = [
    Option<"pidType", "pid-type", "std::string", "\"flat\"",
           "flat, xyz, persistent_blocked or persistent_interleaved (Config.pid_type)">,
    Option<"numWorkers", "num-workers", "int64_t", "0",
           "Programs of a persistent kernel: SMs x Config.num_sm_multiplier">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect"];
}

def LowerTileLoops : Pass<"helion-lower-tile-loops", "mlir::ModuleOp"> {
  let summary = "Turn tile.for into nested scf.for over block-sized steps";
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

def DropUnitDims : Pass<"helion-drop-unit-dims", "mlir::ModuleOp"> {
  let summary = "Remove tensor dims that block-size-1 tiles put there (canonical 3-d bmm forms)";
  let description = [{
    A tile of block 1 (`hl.tile([bh, m], block_size=[1, None])`, or a Config
    block size of 1) gives every tensor indexed by it a static unit dim.
    Triton lays such [1, M, N] tensors out in 3-d and converts layouts
    around every reshape to a 2-d dot. This pass finds the unit dims that
    come from such tiles (through elementwise ops, loop-carried values,
    reductions, broadcasts, dot batch dims) and removes them: the tile
    index becomes a scalar (`tile.begin`), axes shift, identity reshapes and
    expand_dims fold. Dims a dot needs as M/N/K, widening broadcasts,
    gathers and unknown ops keep theirs. Runs on static types (after
    helion-apply-config).
  }];
}

#endif
