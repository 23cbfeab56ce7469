// Builds the op table from ops.def (a list macro, so no static registration a linker could drop).
#include "ops/registry.h"

#include <map>

namespace kiln {
namespace ops {
#define KILN_OP(OP) const OpSchema& op_##OP();
#define KILN_INTERNAL_OP(OP) KILN_OP(OP)
#include "ops/ops.def"
#undef KILN_INTERNAL_OP
#undef KILN_OP
}  // namespace ops

namespace {
// (domain, op type) -> schema; ONNX ops under "", Kiln's internal ops under kInternalDomain.
const std::map<std::pair<std::string, std::string>, const OpSchema*>& table() {
    static const std::map<std::pair<std::string, std::string>, const OpSchema*> t = {
#define KILN_OP(OP) {{"", #OP}, &ops::op_##OP()},
#define KILN_INTERNAL_OP(OP) {{kInternalDomain, #OP}, &ops::op_##OP()},
#include "ops/ops.def"
#undef KILN_INTERNAL_OP
#undef KILN_OP
    };
    return t;
}
}  // namespace

const OpSchema* find_op(const std::string& domain, const std::string& op_type) {
    auto it = table().find({domain == "ai.onnx" ? std::string() : domain, op_type});
    return it == table().end() ? nullptr : it->second;
}

std::vector<const OpSchema*> all_ops() {
    std::vector<const OpSchema*> v;
    for (const auto& kv : table())
        if (kv.first.first.empty()) v.push_back(kv.second);
    return v;
}

}  // namespace kiln

namespace kiln {

namespace {
bool output_matches_input(NodeCtx& c, std::size_t i) {
    return c.has_input(i) && c.has_output(0) && c.in_dtype(i) == c.out_dtype(0) && c.in_shape(i) == c.out_shape(0);
}
}  // namespace

int inplace_unary(NodeCtx& c) { return output_matches_input(c, 0) ? 0 : -1; }

int inplace_binary(NodeCtx& c) {
    for (std::size_t i = 0; i < 2; ++i)
        if (output_matches_input(c, i)) return int(i);
    return -1;
}

}  // namespace kiln
