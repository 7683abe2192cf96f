// helion-apply-access-knobs: the Config's per-access knobs, in program order:
// load_eviction_policies (one entry per tile.load) and indexing (one entry for
// every load and store, or one per load/store). It runs before
// helion-roll-reductions, whose chunk loops clone loads and stores: the clones
// keep the knobs of the access the user wrote, and the entries keep matching
// the accesses the ConfigSpec counted.
#include "passes/Passes.h"

namespace helion {
#define GEN_PASS_DEF_APPLYACCESSKNOBS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

struct ApplyAccessKnobs : public helion::impl::ApplyAccessKnobsBase<ApplyAccessKnobs> {
  using ApplyAccessKnobsBase::ApplyAccessKnobsBase;

  void runOnOperation() override {
    SmallVector<LoadOp> loads;
    SmallVector<Operation *> accesses;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto load = llvm::dyn_cast<LoadOp>(op))
        loads.push_back(load);
      if (llvm::isa<LoadOp, StoreOp>(op))
        accesses.push_back(op);
    });
    if (failed(applyEvictionPolicies(loads)) || failed(applyIndexing(accesses)))
      signalPassFailure();
  }

  LogicalResult applyEvictionPolicies(MutableArrayRef<LoadOp> loads) {
    if (policies.empty())
      return success();
    if (loads.size() != policies.size())
      return getOperation().emitError() << "load-eviction-policies has " << policies.size()
                                        << " entries; the kernel has " << loads.size() << " loads";
    for (auto [load, policy] : llvm::zip(loads, policies)) {
      if (policy < 0 || policy > 2)
        return load.emitOpError() << "load-eviction-policies entry " << policy
                                  << " is not 0 (the kernel's own), 1 (evict_first) or 2 (evict_last)";
      if (policy > 0)
        load.setEvictionPolicy(policy == 1 ? "evict_first" : "evict_last");
    }
    return success();
  }

  LogicalResult applyIndexing(ArrayRef<Operation *> accesses) {
    if (indexing.empty())
      return success();
    if (indexing.size() != 1 && indexing.size() != accesses.size())
      return getOperation().emitError() << "indexing has " << indexing.size()
                                        << " entries; give one, or one per load and store (the kernel has "
                                        << accesses.size() << ")";
    static constexpr llvm::StringLiteral kinds[] = {"pointer", "block_ptr", "tensor_descriptor"};
    for (auto [i, op] : llvm::enumerate(accesses)) {
      int64_t kind = indexing[indexing.size() == 1 ? 0 : i];
      if (kind < 0 || kind > 2)
        return op->emitOpError() << "indexing entry " << kind
                                 << " is not 0 (pointer), 1 (block_ptr) or 2 (tensor_descriptor)";
      if (auto load = llvm::dyn_cast<LoadOp>(op))
        load.setIndexing(kinds[kind]);
      else
        llvm::cast<StoreOp>(op).setIndexing(kinds[kind]);
    }
    return success();
  }
};

} // namespace
