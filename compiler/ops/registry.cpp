// Builds the op table from ops.def (a list macro, so no static registration a linker could drop).
#include "ops/registry.h"

#include <map>

namespace kiln {
namespace ops {
#define KILN_OP(OP) const OpSchema& op_##OP();
#include "ops/ops.def"
#undef KILN_OP
}  // namespace ops

namespace {
const std::map<std::string, const OpSchema*>& table() {
    static const std::map<std::string, const OpSchema*> t = {
#define KILN_OP(OP) {#OP, &ops::op_##OP()},
#include "ops/ops.def"
#undef KILN_OP
    };
    return t;
}
}  // namespace

const OpSchema* find_op(const std::string& domain, const std::string& op_type) {
    if (!domain.empty() && domain != "ai.onnx") return nullptr;
    auto it = table().find(op_type);
    return it == table().end() ? nullptr : it->second;
}

std::vector<const OpSchema*> all_ops() {
    std::vector<const OpSchema*> v;
    for (const auto& kv : table()) v.push_back(kv.second);
    return v;
}

}  // namespace kiln
