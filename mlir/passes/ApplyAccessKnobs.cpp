// helion-apply-eviction-policies: Config.load_eviction_policies, one entry
// per tile.load in program order. It runs before helion-roll-reductions,
// whose chunk loops clone loads: the clones keep the policy of the load the
// user wrote, and the entries keep matching the loads the ConfigSpec counted.
#include "passes/Passes.h"

namespace helion {
#define GEN_PASS_DEF_APPLYEVICTIONPOLICIES
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

struct ApplyEvictionPolicies : public helion::impl::ApplyEvictionPoliciesBase<ApplyEvictionPolicies> {
  using ApplyEvictionPoliciesBase::ApplyEvictionPoliciesBase;

  void runOnOperation() override {
    if (policies.empty())
      return;
    SmallVector<LoadOp> loads;
    getOperation().walk<WalkOrder::PreOrder>([&](LoadOp load) { loads.push_back(load); });
    if (loads.size() != policies.size()) {
      getOperation().emitError() << "load-eviction-policies has " << policies.size()
                                 << " entries; the kernel has " << loads.size() << " loads";
      return signalPassFailure();
    }
    for (auto [load, policy] : llvm::zip(loads, policies)) {
      if (policy < 0 || policy > 2) {
        load.emitOpError() << "load-eviction-policies entry " << policy
                           << " is not 0 (the kernel's own), 1 (evict_first) or 2 (evict_last)";
        return signalPassFailure();
      }
      if (policy > 0)
        load.setEvictionPolicy(policy == 1 ? "evict_first" : "evict_last");
    }
  }
};

} // namespace
