// Target backends: a target whose TargetInfo::isa names an instruction set overrides the emitters of the ops
// it accelerates; every other node keeps the op's portable emitter (OpSchema::emit). The choice is made per
// node from its shapes, attributes and constant inputs, once for memory planning (the kernel's scratch) and
// again, identically, when the node is emitted.
#pragma once

#include <cstddef>

#include "backends/common/target.h"
#include "diag/status.h"
#include "ir/graph.h"

namespace kiln {

class EmitCtx;
class NodeCtx;

struct OpOverride {
    const char* domain;   // "" for ONNX, kInternalDomain for Kiln's fused ops
    const char* op_type;
    // True when the target's kernel runs this node; sets *workspace_bytes to the arena scratch it needs.
    bool (*choose)(NodeCtx& c, const TargetInfo& t, std::size_t* workspace_bytes);
    // Writes the node's kernel call (only called when choose returned true).
    Status (*emit)(EmitCtx& c, const TargetInfo& t);
};

// The override target t has for node n, or nullptr (the portable emitter runs). *workspace_bytes gets the
// scratch the chosen kernel needs (0 without an override).
const OpOverride* find_override(const TargetInfo& t, const Graph& g, const Node& n, std::size_t* workspace_bytes);

}  // namespace kiln
