// Which backend's emitter a node gets.
#include "backends/common/backend.h"

#include "backends/x86/x86_backend.h"
#include "ops/op_context.h"

namespace kiln {

namespace {

const std::vector<OpOverride>* overrides_of(const TargetInfo& t) {
    if (t.isa == "avx2" || t.isa == "avx512") return &x86_overrides();
    return nullptr;
}

}  // namespace

const OpOverride* find_override(const TargetInfo& t, const Graph& g, const Node& n, std::size_t* workspace_bytes) {
    *workspace_bytes = 0;
    const std::vector<OpOverride>* ops = overrides_of(t);
    if (!ops) return nullptr;
    const std::string domain = n.domain == "ai.onnx" ? "" : n.domain;
    for (const OpOverride& o : *ops) {
        if (domain != o.domain || n.op_type != o.op_type) continue;
        NodeCtx c(g, n);
        std::size_t ws = 0;
        if (o.choose(c, t, &ws) && c.status()) {
            *workspace_bytes = ws;
            return &o;
        }
    }
    return nullptr;
}

}  // namespace kiln
