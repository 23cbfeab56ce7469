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
    // In-place execution: the index of the input that output 0 may overwrite (the kernel reads each element
    // of it before writing the same element of the output, through no restrict pointer), or -1. nullptr:
    // never. plan-memory then shares the bytes when this node is that input's last reader.
    int (*inplace_input)(NodeCtx&);
};

// inplace_input for ops mapping input 0 elementwise (unary maps, activations, Clip): 0 when the output
// has input 0's dtype and shape.
int inplace_unary(NodeCtx& c);
// inplace_input for broadcasting binary ops: the first input with the output's dtype and shape, or -1.
int inplace_binary(NodeCtx& c);

// Domain of the operators only Kiln's passes create (fused layers and the like); models may not use it.
constexpr const char* kInternalDomain = "kiln";

// nullptr when Kiln does not know the operator. Domain "" (or "ai.onnx") is ONNX's, kInternalDomain Kiln's.
const OpSchema* find_op(const std::string& domain, const std::string& op_type);
// The ONNX operators (not the internal ones).
std::vector<const OpSchema*> all_ops();

}  // namespace kiln

// Used once per operator in its family file: KILN_DEFINE_OP(Relu, infer_unary, eval_relu, emit_relu);
// KILN_DEFINE_OP_MACS adds the MAC count used by `kiln inspect` and reports; KILN_DEFINE_OP_WORKSPACE
// also the arena scratch its kernel needs; KILN_DEFINE_OP_INPLACE the input its output may overwrite.
#define KILN_DEFINE_OP_FULL(OP, INFER, EVAL, EMIT, MACS, WORKSPACE, INPLACE)   \
    namespace kiln { namespace ops {                                            \
    const OpSchema& op_##OP() {                                                 \
        static const OpSchema schema{#OP, INFER, EVAL, EMIT, MACS, WORKSPACE, nullptr, INPLACE}; \
        return schema;                                                          \
    }                                                                           \
    } }
#define KILN_DEFINE_OP_WORKSPACE(OP, INFER, EVAL, EMIT, MACS, WORKSPACE) \
    KILN_DEFINE_OP_FULL(OP, INFER, EVAL, EMIT, MACS, WORKSPACE, nullptr)
#define KILN_DEFINE_OP_INPLACE(OP, INFER, EVAL, EMIT, INPLACE) \
    KILN_DEFINE_OP_FULL(OP, INFER, EVAL, EMIT, nullptr, nullptr, INPLACE)
#define KILN_DEFINE_OP_MACS(OP, INFER, EVAL, EMIT, MACS) KILN_DEFINE_OP_WORKSPACE(OP, INFER, EVAL, EMIT, MACS, nullptr)
#define KILN_DEFINE_OP(OP, INFER, EVAL, EMIT) KILN_DEFINE_OP_MACS(OP, INFER, EVAL, EMIT, nullptr)
// Control flow: KILN_DEFINE_EXPANDED_OP(If, expand_if)
#define KILN_DEFINE_EXPANDED_OP(OP, EXPAND)                                            \
    namespace kiln { namespace ops {                                                   \
    const OpSchema& op_##OP() {                                                        \
        static const OpSchema schema{#OP, nullptr, nullptr, nullptr, nullptr, nullptr, EXPAND, nullptr}; \
        return schema;                                                                 \
    }                                                                                  \
    } }
