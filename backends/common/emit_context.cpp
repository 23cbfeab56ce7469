// Layer-scoped emission helpers.
#include "backends/common/emit_context.h"

#include <algorithm>

#include "backends/common/c_literals.h"

namespace kiln {

std::string EmitCtx::layer_name() const {
    return fmt::format("L{}_{}", layer_, sanitize_identifier(node_.name, 24));
}

std::string EmitCtx::define_params(const std::string& type, const std::string& init, const std::string& suffix) {
    std::string name = layer_name() + "_" + suffix;
    state_.params.line("static const {} {} = {};", type, name, init);
    return name;
}

std::string EmitCtx::define_int_array(const std::vector<int64_t>& values, const std::string& suffix) {
    std::string name = layer_name() + "_" + suffix;
    std::vector<int64_t> v = values.empty() ? std::vector<int64_t>{0} : values;
    state_.params.line("static const int64_t {}[{}] = {};", name, v.size(), c_int_list(v));
    return name;
}

std::string EmitCtx::define_weight(Tensor values, const std::string& suffix, const std::string& comment) {
    std::string name = layer_name() + "_" + suffix;
    state_.derived.push_back(DerivedWeight{name, comment, std::move(values)});
    return name;
}

std::string EmitCtx::workspace(const std::string& ctype) {
    auto it = state_.workspace.find(layer_);
    if (it == state_.workspace.end()) {
        record("internal: no workspace was planned for this layer");
        return "nullptr";
    }
    return fmt::format("reinterpret_cast<{}*>(arena + {})", ctype, it->second);
}

std::string EmitCtx::define_array(const Tensor& values, const std::string& suffix) {
    std::string name = layer_name() + "_" + suffix;
    state_.params.open(fmt::format("static const {} {}[{}] =", dtype_ctype(values.dtype()), name,
                                   std::max<int64_t>(values.numel(), 1)));
    std::string line;
    for (int64_t i = 0; i < values.numel(); ++i) {
        std::string e = c_element(values, i) + ",";
        if (!line.empty() && line.size() + e.size() + 1 > 100) {
            state_.params.raw_line(line);
            line.clear();
        }
        line += line.empty() ? e : " " + e;
    }
    if (values.numel() == 0) line = "0";
    state_.params.raw_line(line);
    state_.params.close(";");
    return name;
}

std::string EmitCtx::expr(ValueId id) const {
    if (id == kNoValue) return "nullptr";
    state_.read.insert(id);
    auto it = state_.value_expr.find(id);
    return it == state_.value_expr.end() ? "nullptr" : it->second;
}

}  // namespace kiln
