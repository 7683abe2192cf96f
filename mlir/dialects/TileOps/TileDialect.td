#ifndef HELION_TILE_DIALECT
#define HELION_TILE_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::helion::tile";
  let summary = "Tiled kernels with symbolic block sizes, the IR of Helion's device code";
  let description = [{
    A `tile.kernel` is one GPU kernel. Its grid loop (`tile.grid`) maps tiles of
    the iteration space onto programs; inner `tile.for` loops run inside a
    program. Block sizes are symbolic (`tile.block_size` slots) until the
    apply-config pass replaces them with the numbers of a Config.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  // Dialect attributes one pass writes and another reads. Each name is
  // defined here once; code uses the generated helpers
  // (getNumProgramsAttrHelper(), getAlignedAttrHelper()).
  let discardableAttrs = (ins
    // On tile.kernel, set by helion-lower-grid: the static launch size.
    "::mlir::IntegerAttr":$num_programs,
    // On tile.kernel, set by helion-lower-grid for pid_type=xyz: the launch
    // grid [x, y, z] (num_programs is then their product).
    "::mlir::DenseI64ArrayAttr":$grid_shape,
    // On a tensor argument of tile.kernel: its data pointer is 16-byte aligned.
    "::mlir::UnitAttr":$aligned,
    // On tile.kernel, set by the frontend: 64 when index arithmetic must be
    // 64-bit (index_dtype=torch.int64, or a tensor past 2**31 - 1 elements).
    "::mlir::IntegerAttr":$index_bits,
    // On the tt.func, set by convert-tile-to-triton: the loads and stores
    // whose Config.indexing fell back to pointers, and why (Python warns).
    "::mlir::ArrayAttr":$indexing_fallbacks
  );
}

class Tile_Type<string name, string typeMnemonic> : TypeDef<Tile_Dialect, name> {
  let mnemonic = typeMnemonic;
}

class Tile_Attr<string name, string attrMnemonic> : AttrDef<Tile_Dialect, name> {
  let mnemonic = attrMnemonic;
}

def Tile_TileType : Tile_Type<"Tile", "tile"> {
  let summary = "one tile of an iteration dimension: begin, end, block size";
}

def Tile_BlockDimsAttr : Tile_Attr<"BlockDims", "dims"> {
  let summary = "tensor encoding naming the block-size slot of each dynamic dim";
  let description = [{
    Attached as the encoding of a ranked tensor whose dims are block sizes not
    yet known: `tensor<?x8xf32, #tile.dims<[0, -1]>>` has a first dim equal to
    block-size slot 0 and a static second dim (-1).
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$slots);
  let assemblyFormat = "`<` `[` $slots `]` `>`";
}

#endif
