// helion-to-ttir: the whole compilation of a tile kernel to Triton's TTIR for
// one Config, as one named pipeline. Python (compiler/pipeline.py) and the lit
// tests both run it, so the pass order is written only here.
#include "Registration.h"

#include "conversion/TileToTriton/TileToTriton.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

struct HelionToTTIROptions : public PassPipelineOptions<HelionToTTIROptions> {
  ListOption<int64_t> blockSizes{*this, "block-sizes",
                                 llvm::cl::desc("Block size of each tile slot (Config.block_sizes)")};
  ListOption<int64_t> loopOrders{
      *this, "loop-orders",
      llvm::cl::desc("Permutations of the multi-dim loops, concatenated (Config.loop_orders)")};
  ListOption<int64_t> l2Groupings{*this, "l2-groupings",
                                  llvm::cl::desc("L2 grouping of each grid (Config.l2_groupings)")};
  ListOption<int64_t> loadEvictionPolicies{
      *this, "load-eviction-policies",
      llvm::cl::desc("Per load: 0 own, 1 evict_first, 2 evict_last (Config.load_eviction_policies)")};
  ListOption<int64_t> indexing{*this, "indexing",
                               llvm::cl::desc("One for all, or per load/store: 0 pointer, 1 block_ptr, "
                                              "2 tensor_descriptor (Config.indexing)")};
  ListOption<int64_t> reductionLoops{
      *this, "reduction-loops",
      llvm::cl::desc("Chunk of each reduction slot, 0 = persistent (Config.reduction_loops)")};
  // The per-loop knobs (grid first), as helion-apply-config takes them.
  ListOption<int64_t> rangeNumStages{*this, "range-num-stages", llvm::cl::desc("Config.range_num_stages")};
  ListOption<int64_t> rangeUnrollFactors{*this, "range-unroll-factors",
                                         llvm::cl::desc("Config.range_unroll_factors")};
  ListOption<int64_t> rangeMultiBuffers{*this, "range-multi-buffers",
                                        llvm::cl::desc("Config.range_multi_buffers (-1 None, 0, 1)")};
  ListOption<int64_t> rangeWarpSpecializes{*this, "range-warp-specializes",
                                           llvm::cl::desc("Config.range_warp_specializes (-1 None, 0, 1)")};
  ListOption<int64_t> rangeFlattens{*this, "range-flattens", llvm::cl::desc("Config.range_flattens (-1 None, 0, 1)")};
  ListOption<int64_t> staticRanges{*this, "static-ranges", llvm::cl::desc("Config.static_ranges (0, 1)")};
  ListOption<int64_t> flattenLoops{*this, "flatten-loops",
                                   llvm::cl::desc("Config.flatten_loops, per multi-dim loop (0, 1)")};
  Option<std::string> pidType{*this, "pid-type", llvm::cl::init("flat"),
                              llvm::cl::desc("flat, xyz, persistent_blocked or persistent_interleaved (Config.pid_type)")};
  Option<int64_t> numWorkers{*this, "num-workers", llvm::cl::init(0),
                             llvm::cl::desc("Programs of a persistent kernel (SMs x Config.num_sm_multiplier)")};
  Option<unsigned> indexBits{*this, "index-bits", llvm::cl::init(32),
                             llvm::cl::desc("Width of index arithmetic in the TTIR (32 or 64)")};
};

template <typename T>
SmallVector<int64_t> toVector(const T &list) {
  return SmallVector<int64_t>(list.begin(), list.end());
}

void buildHelionToTTIR(OpPassManager &pm, const HelionToTTIROptions &options) {
  pm.addPass(helion::createLegalizeForTriton());
  pm.addPass(helion::createApplyAccessKnobs({toVector(options.loadEvictionPolicies), toVector(options.indexing)}));
  pm.addPass(helion::createRollReductions({toVector(options.reductionLoops)}));
  pm.addPass(helion::createApplyConfig(
      {toVector(options.blockSizes), toVector(options.loopOrders), toVector(options.l2Groupings),
       toVector(options.rangeNumStages), toVector(options.rangeUnrollFactors), toVector(options.rangeMultiBuffers),
       toVector(options.rangeWarpSpecializes), toVector(options.rangeFlattens), toVector(options.staticRanges),
       toVector(options.flattenLoops)}));
  pm.addPass(helion::createReorderLoops());
  pm.addPass(helion::createEliminateMasks());
  pm.addPass(helion::createDropUnitDims());
  pm.addPass(helion::createLowerGrid({options.pidType, options.numWorkers}));
  pm.addPass(helion::createLowerTileLoops());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(helion::createConvertTileToTriton({options.indexBits}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

} // namespace

void helion::registerPipelines() {
  PassPipelineRegistration<HelionToTTIROptions>(
      "helion-to-ttir",
      "Compile tile kernels to Triton TTIR for one Config: legalize-for-triton, apply-access-knobs, roll-reductions, apply-config, "
      "reorder-loops, eliminate-masks, drop-unit-dims, lower-grid, lower-tile-loops, canonicalize, cse, "
      "convert-tile-to-triton, canonicalize, cse",
      buildHelionToTTIR);
}
