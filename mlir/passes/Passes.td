#ifndef HELION_PASSES
#define HELION_PASSES

include "mlir/Pass/PassBase.td"

def ApplyConfig : Pass<"helion-apply-config", "mlir::ModuleOp"> {
  let summary = "Bind a Config: block sizes become constants and static tile shapes";
  let description = [{
    Replaces every `tile.block_size` by the Config's value for its slot (a
    reduction slot with reduction-loops 0 becomes the next power of two of its
    extent: the persistent strategy), rewrites `#tile.dims` tensor types to
    static shapes, and records `loop_order` and `l2_grouping` on the loops
    they apply to, for the passes that follow.
  }];
  let options = [
    ListOption<"blockSizes", "block-sizes", "int64_t",
               "Block size of each tile slot (Config.block_sizes)">,
    ListOption<"reductionLoops", "reduction-loops", "int64_t",
               "Block size of each reduction slot; 0 = persistent (Config.reduction_loops)">,
    ListOption<"loopOrders", "loop-orders", "int64_t",
               "Permutations of the multi-dim loops, concatenated in program order (Config.loop_orders)">,
    ListOption<"l2Groupings", "l2-groupings", "int64_t",
               "Rows of tiles grouped together for L2 reuse, per grid (Config.l2_groupings)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

#endif
