// helion._mlir: Python access to Helion's MLIR: build IR op by op, parse,
// print, verify, walk, and run pass pipelines. Every MLIR diagnostic raised
// during a call becomes a Python MLIRError carrying its text and location.
#include "Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "dialects/TileOps/TileDialect.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace nb = nanobind;
using namespace mlir;

namespace {

struct MLIRError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Collects the diagnostics emitted while it lives; `check` throws them.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &diag) {
          llvm::raw_string_ostream os(text);
          if (diag.getSeverity() != DiagnosticSeverity::Error &&
              diag.getSeverity() != DiagnosticSeverity::Warning) {
            if (text.empty())
              return success();
          }
          os << diag.getLocation() << ": ";
          switch (diag.getSeverity()) {
          case DiagnosticSeverity::Error: os << "error: "; break;
          case DiagnosticSeverity::Warning: os << "warning: "; break;
          case DiagnosticSeverity::Note: os << "note: "; break;
          case DiagnosticSeverity::Remark: os << "remark: "; break;
          }
          os << diag << "\n";
          for (Diagnostic &note : diag.getNotes())
            os << "  " << note.getLocation() << ": note: " << note << "\n";
          return success();
        }) {}

  [[noreturn]] void raise(const std::string &what) {
    std::string msg = what;
    if (!text.empty())
      msg += ":\n" + text;
    throw MLIRError(msg);
  }
  void check(LogicalResult result, const std::string &what) {
    if (failed(result))
      raise(what);
  }

private:
  std::string text;
  ScopedDiagnosticHandler handler;
};

/// Owns the MLIRContext; every wrapper keeps it alive.
struct ContextHolder {
  ContextHolder() : context(MLIRContext::Threading::DISABLED) {
    DialectRegistry registry;
    helion::registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    // Triton's dialects are not linked in: TTIR ops and types exist here as
    // unregistered operations and opaque types.
    context.allowUnregisteredDialects(true);
  }
  MLIRContext context;
};
using ContextRef = std::shared_ptr<ContextHolder>;
struct ContextHandle {
  ContextRef ctx;
};

/// Owns a module; operations, blocks and values keep it alive.
struct ModuleHolder {
  ContextRef ctx;
  OwningOpRef<ModuleOp> module;
};
using ModuleRef = std::shared_ptr<ModuleHolder>;

struct PyType {
  ContextRef ctx;
  Type type;
};
struct PyAttribute {
  ContextRef ctx;
  Attribute attr;
};
struct PyValue {
  ModuleRef owner;
  Value value;
};
struct PyOperation {
  ModuleRef owner;
  Operation *op;
};
struct PyBlock {
  ModuleRef owner;
  Block *block;
};
struct PyRegion {
  ModuleRef owner;
  Region *region;
};

std::string printToString(llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  std::string s;
  llvm::raw_string_ostream os(s);
  fn(os);
  return s;
}

struct PyModule {
  ModuleRef holder;

  std::string toString(bool generic, bool debugInfo) const {
    OpPrintingFlags flags;
    if (generic)
      flags.printGenericOpForm();
    if (debugInfo)
      flags.enableDebugInfo();
    return printToString([&](llvm::raw_ostream &os) {
      holder->module->getOperation()->print(os, flags);
    });
  }
};

/// Refuses text that would crash MLIR's parser (helion::findParserHazard).
void checkParsable(const std::string &text) {
  std::string message;
  if (std::optional<size_t> at = helion::findParserHazard(text, message)) {
    size_t line = 1 + std::count(text.begin(), text.begin() + *at, '\n');
    size_t lineStart = text.rfind('\n', *at);
    size_t col = *at - (lineStart == std::string::npos ? 0 : lineStart + 1) + 1;
    throw MLIRError("cannot parse: line " + std::to_string(line) + ", column " +
                    std::to_string(col) + ": " + message);
  }
}

PyType parseType(const ContextRef &ctx, const std::string &text) {
  checkParsable(text);
  DiagnosticCollector diags(&ctx->context);
  Type t = mlir::parseType(text, &ctx->context);
  if (!t)
    diags.raise("cannot parse type '" + text + "'");
  return {ctx, t};
}

PyAttribute parseAttr(const ContextRef &ctx, const std::string &text) {
  checkParsable(text);
  DiagnosticCollector diags(&ctx->context);
  Attribute a = mlir::parseAttribute(text, &ctx->context);
  if (!a)
    diags.raise("cannot parse attribute '" + text + "'");
  return {ctx, a};
}

/// Converts a Python value to an attribute: Attribute objects pass through;
/// bool True is a unit attribute, int an i64, str a string, Type a type
/// attribute, a list of ints a dense i64 array.
Attribute toAttribute(MLIRContext *ctx, nb::handle h) {
  Builder b(ctx);
  if (nb::isinstance<PyAttribute>(h))
    return nb::cast<PyAttribute &>(h).attr;
  if (nb::isinstance<PyType>(h))
    return TypeAttr::get(nb::cast<PyType &>(h).type);
  if (nb::isinstance<nb::bool_>(h)) {
    if (nb::cast<bool>(h))
      return b.getUnitAttr();
    return b.getBoolAttr(false);
  }
  if (nb::isinstance<nb::int_>(h))
    return b.getI64IntegerAttr(nb::cast<int64_t>(h));
  if (nb::isinstance<nb::str>(h))
    return b.getStringAttr(nb::cast<std::string>(h));
  if (nb::isinstance<nb::list>(h) || nb::isinstance<nb::tuple>(h)) {
    std::vector<int64_t> v;
    for (nb::handle item : h) {
      if (!nb::isinstance<nb::int_>(item))
        throw nb::type_error("attribute lists must hold ints; use Context.parse_attr");
      v.push_back(nb::cast<int64_t>(item));
    }
    return b.getDenseI64ArrayAttr(v);
  }
  throw nb::type_error("cannot convert this Python value to an MLIR attribute");
}

/// Converts an attribute to the closest Python value (ints, floats, strings,
/// lists, Types); anything else comes back as an Attribute object.
nb::object fromAttribute(const ContextRef &ctx, Attribute a) {
  if (auto i = llvm::dyn_cast<IntegerAttr>(a)) {
    if (i.getType().isInteger(1))
      return nb::bool_(i.getValue().getBoolValue());
    if (i.getType().isUnsignedInteger())
      return nb::int_(i.getValue().getZExtValue());
    return nb::int_(i.getValue().getSExtValue());
  }
  if (auto f = llvm::dyn_cast<FloatAttr>(a))
    return nb::float_(f.getValueAsDouble());
  if (auto s = llvm::dyn_cast<StringAttr>(a))
    return nb::str(s.getValue().str().c_str());
  if (llvm::isa<UnitAttr>(a))
    return nb::bool_(true);
  if (auto t = llvm::dyn_cast<TypeAttr>(a))
    return nb::cast(PyType{ctx, t.getValue()});
  if (auto arr = llvm::dyn_cast<DenseI64ArrayAttr>(a)) {
    nb::list l;
    for (int64_t v : arr.asArrayRef())
      l.append(v);
    return l;
  }
  if (auto arr = llvm::dyn_cast<DenseI32ArrayAttr>(a)) {
    nb::list l;
    for (int32_t v : arr.asArrayRef())
      l.append(v);
    return l;
  }
  if (auto arr = llvm::dyn_cast<DenseBoolArrayAttr>(a)) {
    nb::list l;
    for (bool v : arr.asArrayRef())
      l.append(v);
    return l;
  }
  if (auto arr = llvm::dyn_cast<ArrayAttr>(a)) {
    nb::list l;
    for (Attribute e : arr)
      l.append(fromAttribute(ctx, e));
    return l;
  }
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(a)) {
    if (dense.isSplat()) {
      Type elt = dense.getElementType();
      if (llvm::isa<FloatType>(elt))
        return nb::float_(dense.getSplatValue<APFloat>().convertToDouble());
      if (elt.isInteger(1))
        return nb::bool_(dense.getSplatValue<APInt>().getBoolValue());
      return nb::int_(dense.getSplatValue<APInt>().getSExtValue());
    }
  }
  return nb::cast(PyAttribute{ctx, a});
}

std::vector<int64_t> shapeOf(Type t) {
  auto shaped = llvm::dyn_cast<ShapedType>(t);
  if (!shaped || !shaped.hasRank())
    throw nb::value_error("type has no shape");
  std::vector<int64_t> shape;
  for (int64_t d : shaped.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return shape;
}

Location makeLoc(MLIRContext *ctx, const std::optional<std::tuple<std::string, int, int>> &loc) {
  if (!loc)
    return UnknownLoc::get(ctx);
  return FileLineColLoc::get(ctx, std::get<0>(*loc), std::get<1>(*loc), std::get<2>(*loc));
}

/// Inserts new operations at the end of a block, or before an operation.
struct PyBuilder {
  ModuleRef owner;
  OpBuilder builder;

  PyOperation create(const std::string &name, const std::vector<PyValue> &operands,
                     const std::vector<PyType> &results, nb::dict attributes,
                     int numRegions,
                     const std::optional<std::tuple<std::string, int, int>> &loc) {
    MLIRContext *ctx = &owner->ctx->context;
    DiagnosticCollector diags(ctx);
    OperationState state(makeLoc(ctx, loc), name);
    for (const PyValue &v : operands)
      state.operands.push_back(v.value);
    for (const PyType &t : results)
      state.types.push_back(t.type);
    for (auto [k, v] : attributes)
      state.addAttribute(nb::cast<std::string>(k), toAttribute(ctx, v));
    for (int i = 0; i < numRegions; ++i)
      state.addRegion();
    Operation *op = builder.create(state);
    if (!op)
      diags.raise("cannot create operation '" + name + "'");
    return {owner, op};
  }
};

} // namespace

NB_MODULE(_mlir, m) {
  m.doc() = "Helion's MLIR: tile dialect IR building, parsing, printing, passes";
  nb::exception<MLIRError>(m, "MLIRError");
  // Kernels cache their compiled modules until the interpreter exits; that is
  // not a reference leak, so nanobind's exit-time report would only be noise.
  nb::set_leak_warnings(false);

  nb::class_<PyType>(m, "Type")
      .def("__str__", [](const PyType &t) {
        return printToString([&](llvm::raw_ostream &os) { t.type.print(os); });
      })
      .def("__repr__", [](const PyType &t) {
        return "Type(" + printToString([&](llvm::raw_ostream &os) { t.type.print(os); }) + ")";
      })
      .def("__eq__", [](const PyType &a, const PyType &b) { return a.type == b.type; })
      .def("__hash__", [](const PyType &t) { return (size_t)t.type.getAsOpaquePointer(); })
      .def_prop_ro("is_tensor", [](const PyType &t) { return llvm::isa<RankedTensorType>(t.type); })
      .def_prop_ro("is_memref", [](const PyType &t) { return llvm::isa<MemRefType>(t.type); })
      .def_prop_ro("is_index", [](const PyType &t) { return t.type.isIndex(); })
      .def_prop_ro("is_integer", [](const PyType &t) { return t.type.isInteger(); })
      .def_prop_ro("is_float", [](const PyType &t) { return llvm::isa<FloatType>(t.type); })
      .def_prop_ro("is_tile", [](const PyType &t) { return llvm::isa<helion::tile::TileType>(t.type); })
      .def_prop_ro("width", [](const PyType &t) -> unsigned {
        if (t.type.isIntOrFloat())
          return t.type.getIntOrFloatBitWidth();
        throw nb::value_error("type has no bit width");
      })
      .def_prop_ro("shape", [](const PyType &t) { return shapeOf(t.type); })
      .def_prop_ro("strides", [](const PyType &t) {
        auto memref = llvm::dyn_cast<MemRefType>(t.type);
        if (!memref)
          throw nb::value_error("only memref types have strides");
        SmallVector<int64_t> strides;
        int64_t offset;
        if (failed(memref.getStridesAndOffset(strides, offset)))
          throw nb::value_error("memref layout is not strided");
        std::vector<int64_t> out;
        for (int64_t s : strides)
          out.push_back(ShapedType::isDynamic(s) ? -1 : s);
        return out;
      })
      .def_prop_ro("element_type", [](const PyType &t) {
        auto shaped = llvm::dyn_cast<ShapedType>(t.type);
        if (!shaped)
          throw nb::value_error("type has no element type");
        return PyType{t.ctx, shaped.getElementType()};
      })
      .def_prop_ro("block_slots", [](const PyType &t) {
        std::vector<int64_t> slots;
        auto tensor = llvm::dyn_cast<RankedTensorType>(t.type);
        if (!tensor)
          return slots;
        for (unsigned i = 0; i < tensor.getRank(); ++i)
          slots.push_back(helion::tile::getBlockSlot(tensor, i));
        return slots;
      });

  nb::class_<PyAttribute>(m, "Attribute")
      .def("__str__", [](const PyAttribute &a) {
        return printToString([&](llvm::raw_ostream &os) { a.attr.print(os); });
      })
      .def("__repr__", [](const PyAttribute &a) {
        return "Attribute(" + printToString([&](llvm::raw_ostream &os) { a.attr.print(os); }) + ")";
      })
      .def_prop_ro("value", [](const PyAttribute &a) { return fromAttribute(a.ctx, a.attr); });

  nb::class_<PyValue>(m, "Value")
      .def_prop_ro("type", [](const PyValue &v) { return PyType{v.owner->ctx, v.value.getType()}; })
      .def("__eq__", [](const PyValue &a, const PyValue &b) { return a.value == b.value; })
      .def("__hash__", [](const PyValue &v) { return (size_t)v.value.getAsOpaquePointer(); })
      .def_prop_ro("owner", [](const PyValue &v) -> std::optional<PyOperation> {
        if (Operation *op = v.value.getDefiningOp())
          return PyOperation{v.owner, op};
        return std::nullopt;
      })
      .def("__str__", [](const PyValue &v) {
        return printToString([&](llvm::raw_ostream &os) {
          v.value.printAsOperand(os, OpPrintingFlags());
        });
      })
      .def("replace_all_uses_with", [](PyValue &v, const PyValue &with) {
        v.value.replaceAllUsesWith(with.value);
      });

  nb::class_<PyRegion>(m, "Region")
      .def_prop_ro("blocks", [](const PyRegion &r) {
        std::vector<PyBlock> blocks;
        for (Block &b : *r.region)
          blocks.push_back({r.owner, &b});
        return blocks;
      })
      .def("add_block", [](PyRegion &r, const std::vector<PyType> &argTypes,
                           const std::optional<std::tuple<std::string, int, int>> &loc) {
        auto *block = new Block();
        Location l = makeLoc(&r.owner->ctx->context, loc);
        for (const PyType &t : argTypes)
          block->addArgument(t.type, l);
        r.region->push_back(block);
        return PyBlock{r.owner, block};
      }, nb::arg("arg_types") = std::vector<PyType>{}, nb::arg("loc") = nb::none());

  nb::class_<PyBlock>(m, "Block")
      .def_prop_ro("arguments", [](const PyBlock &b) {
        std::vector<PyValue> args;
        for (BlockArgument a : b.block->getArguments())
          args.push_back({b.owner, a});
        return args;
      })
      .def_prop_ro("operations", [](const PyBlock &b) {
        std::vector<PyOperation> ops;
        for (Operation &op : *b.block)
          ops.push_back({b.owner, &op});
        return ops;
      })
      .def("add_argument", [](PyBlock &b, const PyType &t) {
        return PyValue{b.owner, b.block->addArgument(t.type, UnknownLoc::get(&b.owner->ctx->context))};
      });

  nb::class_<PyOperation>(m, "Operation")
      .def_prop_ro("name", [](const PyOperation &o) { return o.op->getName().getStringRef().str(); })
      .def_prop_ro("operands", [](const PyOperation &o) {
        std::vector<PyValue> v;
        for (Value x : o.op->getOperands())
          v.push_back({o.owner, x});
        return v;
      })
      .def_prop_ro("results", [](const PyOperation &o) {
        std::vector<PyValue> v;
        for (Value x : o.op->getResults())
          v.push_back({o.owner, x});
        return v;
      })
      .def("result", [](const PyOperation &o, unsigned i) {
        if (i >= o.op->getNumResults())
          throw nb::index_error("result index out of range");
        return PyValue{o.owner, o.op->getResult(i)};
      }, nb::arg("index") = 0)
      .def_prop_ro("regions", [](const PyOperation &o) {
        std::vector<PyRegion> r;
        for (Region &x : o.op->getRegions())
          r.push_back({o.owner, &x});
        return r;
      })
      .def_prop_ro("attributes", [](const PyOperation &o) {
        nb::dict d;
        for (NamedAttribute a : o.op->getAttrs())
          d[a.getName().str().c_str()] = fromAttribute(o.owner->ctx, a.getValue());
        if (std::optional<Attribute> props = o.op->getPropertiesAsAttribute())
          if (auto dict = llvm::dyn_cast_or_null<DictionaryAttr>(*props))
            for (NamedAttribute a : dict)
              d[a.getName().str().c_str()] = fromAttribute(o.owner->ctx, a.getValue());
        return d;
      })
      .def("set_attribute", [](PyOperation &o, const std::string &name, nb::handle value) {
        o.op->setAttr(name, toAttribute(&o.owner->ctx->context, value));
      })
      .def_prop_ro("num_programs", [](const PyOperation &o) -> std::optional<int64_t> {
        // The launch size helion-lower-grid records (tile.num_programs), on a
        // tile.kernel or the tt.func it became; None when not static.
        auto *dialect = o.owner->ctx->context.getLoadedDialect<helion::tile::TileDialect>();
        if (IntegerAttr n = dialect->getNumProgramsAttrHelper().getAttr(o.op))
          return n.getInt();
        return std::nullopt;
      })
      .def_prop_ro("location", [](const PyOperation &o) {
        return printToString([&](llvm::raw_ostream &os) { o.op->getLoc().print(os); });
      })
      .def_prop_ro("parent", [](const PyOperation &o) -> std::optional<PyOperation> {
        if (Operation *p = o.op->getParentOp())
          return PyOperation{o.owner, p};
        return std::nullopt;
      })
      .def("verify", [](PyOperation &o) {
        DiagnosticCollector diags(&o.owner->ctx->context);
        diags.check(mlir::verify(o.op), "verification failed");
      })
      .def("erase", [](PyOperation &o) { o.op->erase(); o.op = nullptr; })
      .def("__eq__", [](const PyOperation &a, const PyOperation &b) { return a.op == b.op; })
      .def("__hash__", [](const PyOperation &o) { return (size_t)o.op; })
      .def("__str__", [](const PyOperation &o) {
        return printToString([&](llvm::raw_ostream &os) { o.op->print(os); });
      });

  nb::class_<PyModule>(m, "Module")
      .def("__str__", [](const PyModule &mod) { return mod.toString(false, false); })
      .def("to_string", &PyModule::toString, nb::arg("generic") = false,
           nb::arg("debug_info") = false)
      .def_prop_ro("body", [](const PyModule &mod) {
        return PyBlock{mod.holder, mod.holder->module->getBody()};
      })
      .def_prop_ro("operation", [](const PyModule &mod) {
        return PyOperation{mod.holder, mod.holder->module->getOperation()};
      })
      .def("verify", [](PyModule &mod) {
        DiagnosticCollector diags(&mod.holder->ctx->context);
        diags.check(mlir::verify(*mod.holder->module), "verification failed");
      })
      .def("clone", [](const PyModule &mod) {
        auto h = std::make_shared<ModuleHolder>();
        h->ctx = mod.holder->ctx;
        h->module = OwningOpRef<ModuleOp>(mod.holder->module->clone());
        return PyModule{h};
      })
      .def("run_passes", [](PyModule &mod, const std::string &pipeline) {
        MLIRContext *ctx = &mod.holder->ctx->context;
        DiagnosticCollector diags(ctx);
        PassManager pm(ctx, ModuleOp::getOperationName());
        std::string err;
        llvm::raw_string_ostream errStream(err);
        if (failed(parsePassPipeline(pipeline, pm, errStream)))
          throw MLIRError("invalid pass pipeline '" + pipeline + "': " + err);
        // Passes may assume verified IR (they check it after each pass, not
        // before the first).
        diags.check(mlir::verify(*mod.holder->module), "the module does not verify");
        diags.check(pm.run(*mod.holder->module), "pass pipeline '" + pipeline + "' failed");
      }, nb::arg("pipeline"), "Run a textual pass pipeline, e.g. 'canonicalize,cse'.");

  nb::class_<PyBuilder>(m, "Builder")
      .def_static("at_end", [](const PyBlock &b) {
        PyBuilder pb{b.owner, OpBuilder(&b.owner->ctx->context)};
        pb.builder.setInsertionPointToEnd(b.block);
        return pb;
      }, "A builder that appends to the end of a block.")
      .def_static("before", [](const PyOperation &o) {
        PyBuilder pb{o.owner, OpBuilder(&o.owner->ctx->context)};
        pb.builder.setInsertionPoint(o.op);
        return pb;
      }, "A builder that inserts before an operation.")
      .def("create", &PyBuilder::create, nb::arg("name"),
           nb::arg("operands") = std::vector<PyValue>{},
           nb::arg("results") = std::vector<PyType>{},
           nb::arg("attributes") = nb::dict(), nb::arg("regions") = 0,
           nb::arg("loc") = nb::none(),
           "Create an operation in generic form: name, operand values, result "
           "types, attributes (Attribute, int, str, Type, True or list of ints), "
           "number of regions, and an optional (file, line, col) location.");

  nb::class_<ContextHandle>(m, "Context")
      .def("__init__", [](ContextHandle *self) {
        new (self) ContextHandle{std::make_shared<ContextHolder>()};
      })
      .def("parse_module", [](ContextHandle &pc, const std::string &text) {
        ContextRef &ctx = pc.ctx;
        checkParsable(text);
        DiagnosticCollector diags(&ctx->context);
        auto h = std::make_shared<ModuleHolder>();
        h->ctx = ctx;
        h->module = parseSourceString<ModuleOp>(text, &ctx->context);
        if (!h->module)
          diags.raise("cannot parse module");
        return PyModule{h};
      })
      .def("create_module", [](ContextHandle &pc) {
        ContextRef &ctx = pc.ctx;
        auto h = std::make_shared<ModuleHolder>();
        h->ctx = ctx;
        h->module = ModuleOp::create(UnknownLoc::get(&ctx->context));
        return PyModule{h};
      })
      .def("parse_type", [](ContextHandle &pc, const std::string &t) {
        ContextRef &ctx = pc.ctx; return parseType(ctx, t); })
      .def("parse_attr", [](ContextHandle &pc, const std::string &a) {
        ContextRef &ctx = pc.ctx; return parseAttr(ctx, a); })
      .def("attr", [](ContextHandle &pc, nb::handle v) {
        ContextRef &ctx = pc.ctx;
        return PyAttribute{ctx, toAttribute(&ctx->context, v)};
      }, "Convert a Python value (int, str, True, list of ints, Type) to an Attribute.");

  static std::once_flag registered;
  std::call_once(registered, [] { helion::registerPasses(); });
}
