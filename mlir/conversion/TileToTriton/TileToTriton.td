#ifndef HELION_TILE_TO_TRITON
#define HELION_TILE_TO_TRITON

include "mlir/Pass/PassBase.td"

def ConvertTileToTriton : Pass<"convert-tile-to-triton", "mlir::ModuleOp"> {
  let summary = "Lower a configured tile kernel to Triton's TTIR";
  let description = [{
    Input: a kernel after apply-config and lower-grid (static shapes, no
    tile.grid, tile.for lowered to scf.for). Output: a `tt.func` in generic
    form with pointer arithmetic, masked loads/stores, `tt.dot`, `tt.reduce`.
    Tensor arguments marked `tile.aligned` get `tt.divisibility = 16`.
  }];
  let options = [
    Option<"indexBits", "index-bits", "unsigned", /*default=*/"32",
           "Width of index arithmetic (32 or 64)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::math::MathDialect"];
}

#endif
