// The operator registry: one OpSchema per ONNX operator, listed once in ops.def.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ops/op_context.h"

namespace kiln {

class EmitCtx;
class ExpandCtx;

struct OpSchema {
    const char* op_type;
    // Checks attributes and input types, sets output dtypes and shapes.
    Status (*infer)(InferCtx&);
    // Reference kernel: computes outputs from host tensors (also what constant folding runs).
    Status (*eval)(EvalCtx&);
    // Portable backend: writes the kernel call for this node.
    Status (*emit)(EmitCtx&);
    // Multiply-accumulates of one run of the node (shapes inferred), or nullptr when not counted.
    int64_t (*macs)(NodeCtx&);
    // Scratch bytes the emitted kernel needs while the node runs (shapes inferred), or nullptr when none:
    // plan-memory gives them an arena slice live during that node only, named by EmitCtx::workspace().
    std::size_t (*workspace_bytes)(NodeCtx&);
    // Control flow only: replaces the node by ordinary nodes during shape inference (infer/eval/emit unused).
    Status (*expand)(ExpandCtx&);
};

// Domain of the operators only Kiln's passes create (fused layers and the like); models may not use it.
constexpr const char* kInternalDomain = "kiln";

// nullptr when Kiln does not know the operator. Domain "" (or "ai.onnx") is ONNX's, kInternalDomain Kiln's.
const OpSchema* find_op(const std::string& domain, const std::string& op_type);
// The ONNX operators (not the internal ones).
std::vector<const OpSchema*> all_ops();

}  // namespace kiln

// Used once per operator in its family file: KILN_DEFINE_OP(Relu, infer_unary, eval_relu, emit_relu);
// KILN_DEFINE_OP_MACS adds the MAC count used by `kiln inspect` and reports; KILN_DEFINE_OP_WORKSPACE
// also the arena scratch its kernel needs.
#define KILN_DEFINE_OP_WORKSPACE(OP, INFER, EVAL, EMIT, MACS, WORKSPACE)        \
    namespace kiln { namespace ops {                                            \
    const OpSchema& op_##OP() {                                                 \
        static const OpSchema schema{#OP, INFER, EVAL, EMIT, MACS, WORKSPACE, nullptr}; \
        return schema;                                                          \
    }                                                                           \
    } }
#define KILN_DEFINE_OP_MACS(OP, INFER, EVAL, EMIT, MACS) KILN_DEFINE_OP_WORKSPACE(OP, INFER, EVAL, EMIT, MACS, nullptr)
#define KILN_DEFINE_OP(OP, INFER, EVAL, EMIT) KILN_DEFINE_OP_MACS(OP, INFER, EVAL, EMIT, nullptr)
// Control flow: KILN_DEFINE_EXPANDED_OP(If, expand_if)
#define KILN_DEFINE_EXPANDED_OP(OP, EXPAND)                                            \
    namespace kiln { namespace ops {                                                   \
    const OpSchema& op_##OP() {                                                        \
        static const OpSchema schema{#OP, nullptr, nullptr, nullptr, nullptr, nullptr, EXPAND}; \
        return schema;                                                                 \
    }                                                                                  \
    } }
