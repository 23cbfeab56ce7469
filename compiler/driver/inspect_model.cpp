// inspect and run commands.
#include "driver/inspect_model.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "driver/check_model.h"
#include "driver/compare.h"
#include "driver/exit_codes.h"
#include "eval/evaluator.h"
#include "ops/registry.h"

namespace kiln {

namespace fs = std::filesystem;

int run_inspect(const CompileOptions& o) {
    Expected<CompiledModel> m = compile_model(o, [](const std::string& s) { std::cout << s; });
    if (!m) {
        std::cerr << "kiln inspect: " << printable(m.status().message()) << "\n";
        return kExitBadModel;
    }
    const Graph& g = m->graph;
    std::map<std::string, int> ops;
    int64_t macs = 0;
    std::cout << fmt::format("model {} ({} after passes: {} layers)\n", o.model_path, m->name, g.nodes.size());
    for (ValueId id : g.inputs)
        std::cout << fmt::format("  input  '{}': {}[{}]\n", g.value(id).name, dtype_name(g.value(id).dtype), shape_str(g.value(id).shape));
    for (ValueId id : g.outputs)
        std::cout << fmt::format("  output '{}': {}[{}]\n", g.value(id).name, dtype_name(g.value(id).dtype), shape_str(g.value(id).shape));
    std::cout << fmt::format("\n  {:<4} {:<28} {:<20} {:<24} {:>12}\n", "#", "layer", "op", "output", "MACs");
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        ++ops[n.op_type];
        const OpSchema* op = find_op(n.domain, n.op_type);
        NodeCtx c(g, n);
        int64_t node_macs = op && op->macs ? op->macs(c) : 0;
        macs += node_macs;
        const Value& out = g.value(n.outputs[0]);
        std::cout << fmt::format("  {:<4} {:<28} {:<20} {:<24} {:>12}\n", i, n.name.substr(0, 28), n.op_type,
                                 fmt::format("{}[{}]", dtype_name(out.dtype), shape_str(out.shape)), node_macs);
    }
    std::set<ValueId> weights;
    for (const Node& n : g.nodes)
        for (ValueId id : n.inputs)
            if (id != kNoValue && g.value(id).is_constant()) weights.insert(id);
    int64_t params = 0;
    for (ValueId id : weights) params += g.value(id).numel();
    std::cout << "\nops:";
    for (const auto& [op, count] : ops) std::cout << fmt::format(" {}x{}", op, count);
    std::cout << fmt::format("\nparameters: {} ({} bytes)\nMACs: {}\narena: {} bytes (lower bound {} bytes)\n", params,
                             m->code.weight_bytes, macs, m->plan.arena_bytes, m->plan.lower_bound_bytes);
    return kExitOk;
}

int run_reference(const RunOptions& o) {
    auto fail = [](int code, const std::string& msg) {
        std::cerr << "kiln run: " << printable(msg) << "\n";
        return code;
    };
    // The model first: one Kiln cannot hold (string or sequence I/O) is a model error, not a data error.
    Expected<std::vector<std::string>> names = model_input_names(o.compile.model_path);
    if (!names) return fail(kExitBadModel, names.status().message());
    std::vector<Tensor> inputs, expected;
    for (const std::string& f : data_files(o.data, "input")) {
        Expected<Tensor> t = load_tensor_file(f);
        if (!t) return fail(kExitUsage, t.status().message());
        inputs.push_back(std::move(*t));
    }
    for (const std::string& f : data_files(o.data, "output")) {
        Expected<Tensor> t = load_tensor_file(f);
        if (!t) return fail(kExitUsage, t.status().message());
        expected.push_back(std::move(*t));
    }
    if (inputs.size() != names->size())
        return fail(kExitUsage, fmt::format("{}: {} input files but the model has {} inputs", o.data, inputs.size(), names->size()));
    CompileOptions co = o.compile;
    for (std::size_t i = 0; i < names->size(); ++i)
        if (!co.input_shapes.count((*names)[i])) co.input_shapes[(*names)[i]] = inputs[i].shape();
    Expected<CompiledModel> m = compile_model(co, [](const std::string& s) { std::cout << s; });
    if (!m) return fail(kExitBadModel, m.status().message());
    Expected<std::vector<Tensor>> out = evaluate(m->graph, inputs);
    if (!out) return fail(kExitBadModel, out.status().message());
    int code = kExitOk;
    for (std::size_t i = 0; i < out->size(); ++i) {
        const Value& v = m->graph.value(m->graph.outputs[i]);
        std::string line = fmt::format("output {} '{}': {}[{}]", i, v.name, dtype_name(v.dtype), shape_str(v.shape));
        if (i < expected.size()) {
            Comparison c = compare_tensors((*out)[i], expected[i], o.rtol, o.atol);
            line += fmt::format(", max abs error {:.3g} {}", c.max_abs_error,
                                c.match ? "OK" : "MISMATCH " + c.problem);
            if (!c.match) code = kExitMismatch;
        }
        std::cout << line << "\n";
        if (!o.out_dir.empty()) {
            std::error_code ec;
            fs::create_directories(o.out_dir, ec);
            Status s = save_tensor_file((*out)[i], v.name, (fs::path(o.out_dir) / fmt::format("output_{}.pb", i)).string());
            if (!s) return fail(kExitIo, s.message());
        }
    }
    return code;
}

}  // namespace kiln
