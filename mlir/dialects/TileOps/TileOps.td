#ifndef HELION_TILE_OPS
#define HELION_TILE_OPS

include "TileDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits>;

// Scalars usable as indices or extents inside a kernel.
def Tile_Scalar : AnyTypeOf<[AnySignlessInteger, Index], "integer or index scalar">;
def Tile_IntOrFloat : AnyTypeOf<[AnySignlessInteger, AnyFloat, Index]>;

//===----------------------------------------------------------------------===//
// Kernel structure
//===----------------------------------------------------------------------===//

def Tile_KernelOp : Tile_Op<"kernel", [IsolatedFromAbove, FunctionOpInterface]> {
  let summary = "one GPU kernel";
  let description = [{
    Tensor arguments are memrefs: their type carries the dtype, rank, sizes
    and strides, each static or `?` (symbolic). Scalar arguments are integers,
    floats or index. The body holds one `tile.grid` (the work of every
    program) plus scalar code that every program recomputes; after the
    lower-grid pass the grid is gone and `tile.program_id` selects the tiles.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() { return getFunctionType().getInputs(); }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() { return getFunctionType().getResults(); }
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    bool isDeclaration() { return false; }
  }];
}

def Tile_ReturnOp : Tile_Op<"return", [Pure, Terminator, HasParent<"KernelOp">]> {
  let summary = "end of a kernel";
  let assemblyFormat = "attr-dict";
}

def Tile_BlockSizeOp : Tile_Op<"block_size", [Pure]> {
  let summary = "a block size read from slot `slot` of the Config";
  let description = [{
    Symbolic until apply-config replaces it by a constant. `reduction` marks a
    slot of `Config.reduction_loops` (a full-extent dim); `extent`, when known,
    is the size of the dimension it tiles (the autotuner bounds the slot by it).
    `min_block` is the least block the target needs (a dot operand; set by
    helion-legalize-for-triton). On reduction slots only, `looped_block` is
    the chunk size helion-roll-reductions chose. helion-apply-config reads
    both.
  }];
  let arguments = (ins I64Attr:$slot, UnitAttr:$reduction, OptionalAttr<I64Attr>:$extent,
                       OptionalAttr<I64Attr>:$looped_block, OptionalAttr<I64Attr>:$min_block);
  let results = (outs Index:$result);
  let assemblyFormat = "$slot attr-dict";
  let hasVerifier = 1;
}

def Tile_DimOp : Tile_Op<"dim", [Pure]> {
  let summary = "size of one dimension of a kernel tensor argument";
  let arguments = (ins AnyMemRef:$source, I64Attr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$source `,` $dim attr-dict `:` type($source)";
  let hasVerifier = 1;
}

def Tile_GridOp : Tile_Op<"grid", [AttrSizedOperandSegments]> {
  let summary = "the launch grid: one program per tile of the iteration space";
  let description = [{
    `tile.grid (%t0, %t1) = (%lb0, %lb1) to (%ub0, %ub1) step (%b0, %b1)`
    runs its body once per combination of tiles. Optional attributes set by the
    compiler: `loop_order` (which dim varies fastest across program ids, first
    = innermost), `l2_grouping` (tile rows grouped for L2 reuse) and the grid
    loop's Config knobs (`num_stages`, `unroll_factor`,
    `disallow_multi_buffer`, `warp_specialize`, `flatten`, as on tile.for),
    which only a persistent pid_type can honour: helion-lower-grid puts them
    on the loop over tiles it builds.
  }];
  let arguments = (ins Variadic<Index>:$lowerBounds, Variadic<Index>:$upperBounds,
                       Variadic<Index>:$steps,
                       OptionalAttr<DenseI64ArrayAttr>:$loop_order,
                       OptionalAttr<I64Attr>:$l2_grouping,
                       OptionalAttr<I64Attr>:$num_stages, OptionalAttr<I64Attr>:$unroll_factor,
                       UnitAttr:$disallow_multi_buffer, UnitAttr:$warp_specialize, UnitAttr:$flatten);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumDims() { return getLowerBounds().size(); }
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Tile_ForOp : Tile_Op<"for", [AttrSizedOperandSegments]> {
  let summary = "a loop over tiles inside one program, with loop-carried values";
  let description = [{
    `loop_order` (set by helion-apply-config, consumed by
    helion-reorder-loops) is a permutation of the dims: the first is the
    outermost loop. The per-loop Config knobs (set by helion-apply-config,
    consumed by helion-lower-tile-loops on the innermost scf.for):
    `num_stages` (software pipelining depth), `unroll_factor` (>= 2),
    `disallow_multi_buffer`, `warp_specialize`, `flatten`, and
    `static_range` (unroll fully; needs a static trip count). `flattened`
    (Config.flatten_loops) lowers a multi-dim loop as one scf.for over all
    tile combinations instead of a nest.
  }];
  let arguments = (ins Variadic<Index>:$lowerBounds, Variadic<Index>:$upperBounds,
                       Variadic<Index>:$steps, Variadic<AnyType>:$inits,
                       OptionalAttr<DenseI64ArrayAttr>:$loop_order,
                       OptionalAttr<I64Attr>:$num_stages, OptionalAttr<I64Attr>:$unroll_factor,
                       UnitAttr:$disallow_multi_buffer, UnitAttr:$warp_specialize, UnitAttr:$flatten,
                       UnitAttr:$static_range, UnitAttr:$flattened);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumDims() { return getLowerBounds().size(); }
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Tile_YieldOp : Tile_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["GridOp", "ForOp", "ReduceOp", "ScanOp"]>]> {
  let summary = "end of a loop body or combine region; its operands are carried";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let builders = [OpBuilder<(ins), [{ }]>];
}

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

class Tile_TileAttrOp<string mnemonic, string doc>
    : Tile_Op<mnemonic, [Pure]> {
  let summary = doc;
  let arguments = (ins Tile_TileType:$tile);
  let results = (outs Index:$result);
  let assemblyFormat = "$tile attr-dict";
}

def Tile_BeginOp : Tile_TileAttrOp<"begin", "first index of a tile">;
def Tile_EndOp : Tile_TileAttrOp<"end", "one past the last valid index of a tile (clipped to the loop bound)">;
def Tile_BlockOp : Tile_TileAttrOp<"block", "block size of a tile">;

def Tile_MakeTileOp : Tile_Op<"make_tile", [Pure]> {
  let summary = "the tile [begin, min(begin + block, bound)) of a dimension";
  let description = [{
    Tiles come from loop bodies; `tile.make_tile` makes one explicitly: for a
    full slice `x[tile, :]` (begin 0, bound = the extent, block = a reduction
    block size), and when lower-grid / lower-tile-loops turn loops into
    program ids and scf.for.
  }];
  let arguments = (ins Index:$begin, Index:$bound, Index:$block);
  let results = (outs Tile_TileType:$result);
  let assemblyFormat = "$begin `,` $bound `,` $block attr-dict";
}

def Tile_ProgramIdOp : Tile_Op<"program_id", [Pure]> {
  let summary = "the id of the running program along one launch axis (after lower-grid)";
  let description = [{
    Axis 0 is the linear program id of flat and persistent grids; with
    pid_type=xyz, grid dim d runs along launch axis d (0, 1 or 2).
  }];
  let arguments = (ins DefaultValuedAttr<I32Attr, "0">:$axis);
  let results = (outs Index:$result);
  let assemblyFormat = "(`axis` $axis^)? attr-dict";
  let hasVerifier = 1;
}

def Tile_IndexOp : Tile_Op<"index", [Pure]> {
  let summary = "the indices of a tile: begin + [0, block size)";
  let arguments = (ins Tile_TileType:$tile);
  let results = (outs RankedTensorOf<[I32, I64]>:$result);
  let assemblyFormat = "$tile attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_MaskOp : Tile_Op<"mask", [Pure]> {
  let summary = "which lanes of a tile lie before its bound (index < bound)";
  let description = [{
    Reductions select their identity on lanes past a tile's bound.
    helion-eliminate-masks folds the mask to all-true when the tile is
    always full.
  }];
  let arguments = (ins Tile_TileType:$tile);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = "$tile attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

def Tile_LoadOp : Tile_Op<"load", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead]>]> {
  let summary = "read a tile of a kernel tensor";
  let description = [{
    One index per dimension of `base`: a `!tile.tile` contributes one result
    dim (its block), a scalar selects one element and drops the dim, an
    integer tensor gathers and contributes its dims. Indices past the end of a
    tile are masked implicitly; `bounds_check` (one flag per index, default
    all true) records which dims still need that mask. `mask` adds a user
    mask; masked-off elements read `other` (default zero). `eviction_policy`
    (evict_first or evict_last; from hl.load or Config.load_eviction_policies)
    is the L2 cache hint of the load. `indexing` (pointer, block_ptr or
    tensor_descriptor; from Config.indexing) is how the conversion addresses
    memory.
  }];
  let arguments = (ins AnyMemRef:$base, Variadic<AnyType>:$indices,
                       Optional<AnyType>:$mask, Optional<AnyType>:$other,
                       OptionalAttr<DenseBoolArrayAttr>:$bounds_check,
                       OptionalAttr<StrAttr>:$eviction_policy,
                       OptionalAttr<StrAttr>:$indexing);
  let results = (outs AnyType:$result);
  let assemblyFormat = [{
    $base `[` $indices `]` (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`other` `(` $other^ `:` type($other) `)`)? attr-dict
    `:` type($base) `[` type($indices) `]` `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_StoreOp : Tile_Op<"store", [AttrSizedOperandSegments,
    MemoryEffects<[MemWrite]>]> {
  let summary = "write a tile of a kernel tensor";
  let description = [{
    Indexing as in `tile.load` (`indexing` too); `value` has exactly the
    indexed shape and the element type of `base`.
  }];
  let arguments = (ins AnyType:$value, AnyMemRef:$base, Variadic<AnyType>:$indices,
                       Optional<AnyType>:$mask,
                       OptionalAttr<DenseBoolArrayAttr>:$bounds_check,
                       OptionalAttr<StrAttr>:$indexing);
  let assemblyFormat = [{
    $value `,` $base `[` $indices `]` (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict
    `:` type($value) `,` type($base) `[` type($indices) `]`
  }];
  let hasVerifier = 1;
}

def Tile_AtomicRMWOp : Tile_Op<"atomic_rmw", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "atomic read-modify-write of a tile; returns the old values";
  let description = [{
    `kind` is one of add, max, min, and, or, xor, xchg. Indexing as in
    `tile.load`. `sem` is the memory ordering: relaxed, acquire, release or
    acq_rel (the default).
  }];
  let arguments = (ins StrAttr:$kind, AnyType:$value, AnyMemRef:$base,
                       Variadic<AnyType>:$indices, Optional<AnyType>:$mask,
                       OptionalAttr<DenseBoolArrayAttr>:$bounds_check,
                       OptionalAttr<StrAttr>:$sem);
  let results = (outs AnyType:$result);
  let assemblyFormat = [{
    $kind $value `,` $base `[` $indices `]` (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict
    `:` type($value) `,` type($base) `[` type($indices) `]` `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_AtomicCASOp : Tile_Op<"atomic_cas", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "atomic compare-and-swap of a tile; returns the old values";
  let description = [{
    Where the element equals `cmp` it becomes `value`. Indexing as in
    `tile.load`, without a mask: Triton's atomic_cas takes none, so every
    index must stay in bounds (the conversion refuses a dim that still needs
    a bounds mask). `sem` as in tile.atomic_rmw.
  }];
  let arguments = (ins AnyType:$cmp, AnyType:$value, AnyMemRef:$base,
                       Variadic<AnyType>:$indices,
                       OptionalAttr<DenseBoolArrayAttr>:$bounds_check,
                       OptionalAttr<StrAttr>:$sem);
  let results = (outs AnyType:$result);
  let assemblyFormat = [{
    $cmp `,` $value `,` $base `[` $indices `]` attr-dict
    `:` type($cmp) `,` type($value) `,` type($base) `[` type($indices) `]` `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Tensor creation and shape
//===----------------------------------------------------------------------===//

def Tile_FullOp : Tile_Op<"full", [Pure]> {
  let summary = "a tensor filled with one scalar (zeros, full, splat)";
  let arguments = (ins Tile_IntOrFloat:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($value) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_ArangeOp : Tile_Op<"arange", [Pure]> {
  let summary = "the integers [start, end) as a 1-d tensor";
  let arguments = (ins I64Attr:$start, I64Attr:$end);
  let results = (outs RankedTensorOf<[I32, I64]>:$result);
  let assemblyFormat = "$start `to` $end attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure]> {
  let summary = "repeat size-1 dims to the result shape (same rank)";
  let arguments = (ins AnyRankedTensor:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_RebindOp : Tile_Op<"rebind", [Pure]> {
  let summary = "view a persistent reduction dim as its static extent, or back";
  let description = [{
    A full-extent slice `x[tile, :]` of a power-of-two extent E is a reduction
    block-size slot, while a static shape such as `hl.zeros([tile, E])` has the
    literal size E. When the slot is persistent both are E wide, and values of
    the two kinds may mix; this op marks each place where they do. Every dim of
    the result equals the source's, or one of the two is a block-size slot and
    the other static. It folds away once helion-apply-config makes the types
    equal; helion-roll-reductions refuses to loop a slot that meets one.
  }];
  let arguments = (ins AnyRankedTensor:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_ExpandDimsOp : Tile_Op<"expand_dims", [Pure]> {
  let summary = "insert a size-1 dim at `axis` (indexing with None)";
  let arguments = (ins AnyRankedTensor:$source, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source `,` $axis attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_ReshapeOp : Tile_Op<"reshape", [Pure]> {
  let summary = "reinterpret the elements in row-major order under a new shape";
  let arguments = (ins AnyRankedTensor:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_PermuteOp : Tile_Op<"permute", [Pure]> {
  let summary = "permute dims: result dim i is source dim permutation[i]";
  let arguments = (ins AnyRankedTensor:$source, DenseI64ArrayAttr:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source $permutation attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_ExtractSliceOp : Tile_Op<"extract_slice", [Pure]> {
  let summary = "elements [offset, offset + size) of one static dim of a computed tensor";
  let description = [{
    `x[.., lo:hi, ..]` (or `x[.., i, ..]` before a reshape drops the dim) on a
    value the kernel computed, not on a load. Dim `axis` of the source is
    static and the result has `size` elements there; every other dim is
    kept. Triton has no register slicing, so helion-legalize-for-triton
    rewrites this op before conversion.
  }];
  let arguments = (ins AnyRankedTensor:$source, I64Attr:$axis, I64Attr:$offset);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source `,` $axis `,` $offset attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def Tile_DotOp : Tile_Op<"dot", [Pure]> {
  let summary = "acc + a @ b over 2-d tiles, or batched over 3-d tiles";
  let description = [{
    `input_precision` is tf32, tf32x3, ieee or bf16x3 and only matters for
    fp32 inputs (default tf32, as in PyTorch's allow_tf32 matmuls).
  }];
  let arguments = (ins AnyRankedTensor:$a, AnyRankedTensor:$b, AnyRankedTensor:$acc,
                       DefaultValuedAttr<StrAttr, "\"tf32\"">:$input_precision);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $acc attr-dict `:` type($a) `,` type($b) `,` type($acc) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_ReduceOp : Tile_Op<"reduce", [RecursiveMemoryEffects]> {
  let summary = "reduce tensors along `axis` with a combine region";
  let description = [{
    N operands of one shape, N results of that shape without `axis` (scalars
    when the operands are 1-d). The combine region takes 2N scalars (the N
    accumulated values, then the N new ones) and yields N scalars.
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$operands, I64Attr:$axis);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$combine);
  let assemblyFormat = [{
    `(` $operands `)` `axis` `=` $axis attr-dict `:` functional-type($operands, $results) $combine
  }];
  let hasVerifier = 1;
}


def Tile_ScanOp : Tile_Op<"scan", [RecursiveMemoryEffects]> {
  let summary = "inclusive scan of tensors along `axis` with a combine region";
  let description = [{
    N operands of one shape, N results of that shape: result[.., i, ..] combines
    operand elements 0..i along `axis` (i..end with `reverse`). The combine
    region is tile.reduce's: 2N scalars in (accumulated, then new), N out.
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$operands, I64Attr:$axis, UnitAttr:$reverse);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$combine);
  let assemblyFormat = [{
    `(` $operands `)` `axis` `=` $axis attr-dict `:` functional-type($operands, $results) $combine
  }];
  let hasVerifier = 1;
}

#endif
