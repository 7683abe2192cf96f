"""The IR builder, parser, printer, verifier and pass runner of helion._mlir."""
import pytest

from helion import _mlir as ir


def build_add_kernel(ctx):
    mod = ctx.create_module()
    memref = ctx.parse_type("memref<1000xf32>")
    index = ctx.parse_type("index")
    tile = ctx.parse_type("!tile.tile")
    tensor = ctx.parse_type("tensor<?xf32, #tile.dims<[0]>>")
    fn_type = ctx.parse_type("(memref<1000xf32>, memref<1000xf32>, memref<1000xf32>) -> ()")
    b = ir.Builder.at_end(mod.body)
    kernel = b.create("tile.kernel", attributes={"sym_name": "add", "function_type": fn_type}, regions=1,
                      loc=("user.py", 3, 1))
    body = kernel.regions[0].add_block([memref, memref, memref])
    x, y, out = body.arguments
    b = ir.Builder.at_end(body)
    bs = b.create("tile.block_size", results=[index], attributes={"slot": 0, "extent": 1000}).result()
    c0 = b.create("arith.constant", results=[index], attributes={"value": ctx.parse_attr("0 : index")}).result()
    n = b.create("arith.constant", results=[index], attributes={"value": ctx.parse_attr("1000 : index")}).result()
    grid = b.create("tile.grid", operands=[c0, n, bs],
                    attributes={"operandSegmentSizes": ctx.parse_attr("array<i32: 1, 1, 1>")}, regions=1)
    gbody = grid.regions[0].add_block([tile])
    (t,) = gbody.arguments
    g = ir.Builder.at_end(gbody)
    a = g.create("tile.load", operands=[x, t], results=[tensor],
                 attributes={"operandSegmentSizes": ctx.parse_attr("array<i32: 1, 1, 0, 0>")}).result()
    c = g.create("tile.load", operands=[y, t], results=[tensor],
                 attributes={"operandSegmentSizes": ctx.parse_attr("array<i32: 1, 1, 0, 0>")}).result()
    s = g.create("arith.addf", operands=[a, c], results=[tensor]).result()
    g.create("tile.store", operands=[s, out, t],
             attributes={"operandSegmentSizes": ctx.parse_attr("array<i32: 1, 1, 1, 0>")})
    g.create("tile.yield")
    b.create("tile.return")
    return mod


def test_build_print_verify(filecheck):
    ctx = ir.Context()
    mod = build_add_kernel(ctx)
    mod.verify()
    filecheck(str(mod), """
CHECK: tile.kernel @add(%arg0: memref<1000xf32>, %arg1: memref<1000xf32>, %arg2: memref<1000xf32>)
CHECK: tile.block_size 0 {extent = 1000 : i64}
CHECK: tile.grid (%[[T:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
CHECK: %[[A:.*]] = tile.load %arg0[%[[T]]] : memref<1000xf32>[!tile.tile] -> tensor<?xf32, #tile.dims<[0]>>
CHECK: %[[B:.*]] = tile.load %arg1[%[[T]]]
CHECK: %[[S:.*]] = arith.addf %[[A]], %[[B]] : tensor<?xf32, #tile.dims<[0]>>
CHECK: tile.store %[[S]], %arg2[%[[T]]]
CHECK: tile.return
""")
    assert 'loc("user.py":3:1)' in mod.to_string(debug_info=True)


def test_run_pass_pipeline_with_options(filecheck):
    ctx = ir.Context()
    mod = build_add_kernel(ctx)
    mod.run_passes("helion-apply-config{block-sizes=128},canonicalize")
    filecheck(str(mod), """
CHECK: %[[C128:.*]] = arith.constant 128 : index
CHECK: tile.grid (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%[[C128]])
CHECK: tile.load {{.*}} -> tensor<128xf32>
CHECK: arith.addf {{.*}} : tensor<128xf32>
""")


def test_parse_roundtrip_and_walk():
    ctx = ir.Context()
    text = str(build_add_kernel(ctx))
    mod = ctx.parse_module(text)
    kernel = mod.body.operations[0]
    assert kernel.name == "tile.kernel"
    assert kernel.attributes["sym_name"] == "add"
    names = []

    def walk(op):
        names.append(op.name)
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    walk(inner)

    walk(kernel)
    assert names.count("tile.load") == 2 and "tile.store" in names
    load = next(o for o in mod.body.operations[0].regions[0].blocks[0].operations if o.name == "tile.grid")
    ld = load.regions[0].blocks[0].operations[0]
    assert ld.result().type.shape == [-1]
    assert ld.result().type.block_slots == [0]
    assert str(ld.result().type.element_type) == "f32"
    assert ld.attributes["operandSegmentSizes"] == [1, 1, 0, 0]


def test_malformed_module_raises_with_diagnostic():
    ctx = ir.Context()
    bad = """
tile.kernel @k(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  tile.grid (%t) = (%c0) to (%c0) step (%c0) {
    %v = tile.load %x[%t] : memref<8xf32>[!tile.tile] -> tensor<4xf16>
    tile.yield
  }
  tile.return
}
"""
    with pytest.raises(ir.MLIRError) as e:
        ctx.parse_module(bad)
    msg = str(e.value)
    assert "the result must be a rank-1 tensor of 'f32'" in msg
    assert ":5:" in msg  # the line of the bad load


def test_syntax_error_raises():
    ctx = ir.Context()
    with pytest.raises(ir.MLIRError, match="expected"):
        ctx.parse_module("tile.kernel @k( {")
    with pytest.raises(ir.MLIRError, match="cannot parse type"):
        ctx.parse_type("tensor<<f32>")


def test_built_module_that_fails_verification_raises():
    ctx = ir.Context()
    mod = build_add_kernel(ctx)
    grid = [o for o in mod.body.operations[0].regions[0].blocks[0].operations if o.name == "tile.grid"][0]
    load = grid.regions[0].blocks[0].operations[0]
    load.set_attribute("bounds_check", ctx.parse_attr("array<i1: true, false>"))
    with pytest.raises(ir.MLIRError, match="bounds_check needs one flag per index"):
        mod.verify()


def test_pass_failure_and_bad_pipeline_raise():
    ctx = ir.Context()
    mod = build_add_kernel(ctx)
    with pytest.raises(ir.MLIRError, match="must be a power of two"):
        mod.clone().run_passes("helion-apply-config{block-sizes=48}")
    with pytest.raises(ir.MLIRError, match="the Config gives 0"):
        mod.clone().run_passes("helion-apply-config")
    with pytest.raises(ir.MLIRError, match="invalid pass pipeline"):
        mod.run_passes("no-such-pass")


def test_unregistered_triton_ops_parse_in_generic_form():
    ctx = ir.Context()
    text = '''
"tt.func"() <{arg_attrs = [{tt.divisibility = 16 : i32}], function_type = (!tt.ptr<f32>) -> (), sym_name = "k"}> ({
^bb0(%p: !tt.ptr<f32>):
  %r = "tt.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
  "tt.return"() : () -> ()
}) : () -> ()
'''
    mod = ctx.parse_module(text)
    fn = mod.body.operations[0]
    assert fn.name == "tt.func"
    rng = fn.regions[0].blocks[0].operations[0]
    assert rng.attributes == {"end": 128, "start": 0}
    assert rng.result().type.shape == [128]
