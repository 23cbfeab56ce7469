// The compile report's data (built once from the compiled graph and plan), its JSON and text renderings,
// the TFLite-Micro-style reference plan, and the atomic write. The HTML rendering is in report_html.cpp.
#include "driver/report.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "ops/registry.h"
#include "passes/pass.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {

std::string op_label(const Node& n) {
    if (n.domain.empty() || n.domain == "ai.onnx") return n.op_type;
    return n.domain + "." + n.op_type;
}

TensorReport describe(const Graph& g, ValueId id) {
    const Value& v = g.value(id);
    TensorReport t;
    t.name = v.name;
    t.dtype = dtype_name(v.dtype);
    t.shape = v.shape;
    t.bytes = v.nbytes();
    return t;
}

// An arena request of the naive plan: produced by a node, neither a graph output nor a constant.
bool is_intermediate(const Graph& g, ValueId id) {
    return id != kNoValue && !g.is_graph_output(id) && !g.value(id).is_constant();
}

std::size_t scratch_bytes(const Graph& g, const Node& n) {
    const OpSchema* op = find_op(n.domain, n.op_type);
    if (!op || !op->workspace_bytes) return 0;
    NodeCtx c(g, n);
    return op->workspace_bytes(c);
}

}  // namespace

Expected<TflmReference> plan_tflm_reference(const CompileOptions& o) {
    const TargetInfo* target = find_target(o.target);
    if (!target) return Status::errorf("unknown target '{}'", o.target);
    ImportOptions io;
    io.input_shapes = o.input_shapes;
    io.frozen_inputs = o.frozen_inputs;
    Expected<Graph> imported = import_onnx_file(o.model_path, io);
    if (!imported) return imported.status();
    // Only what every deployment flow does before planning: the graph keeps the file's ops and order.
    const std::vector<Pass> passes = {{"infer-shapes", infer_shapes},
                                      {"fold-constants", fold_constants},
                                      {"eliminate-dead-code", eliminate_dead_code}};
    Expected<Graph> r = run_pipeline(std::move(*imported), passes);
    if (!r) return r.status().with_prefix(o.model_path + ": ");
    const Graph& g = *r;
    std::vector<int> file_order(g.nodes.size());
    std::iota(file_order.begin(), file_order.end(), 0);
    // No aliases or in-place reuse: every intermediate tensor and kernel scratch is a buffer of its own.
    const Liveness unshared = analyse_liveness(g, file_order, /*share=*/false);
    TflmReference ref;
    for (const BufferRequest& b : unshared.requests) ref.naive_bytes += b.bytes;
    ref.arena_bytes = plan_greedy_by_size(unshared.requests, target->alignment).total_bytes;
    ref.layers = int(g.nodes.size());
    return ref;
}

CompileReport build_report(const CompiledModel& m, const CompileOptions& o, std::optional<TflmReference> tflm) {
    const Graph& g = m.graph;
    CompileReport r;
    r.model = o.model_path;
    r.name = m.name;
    r.target = o.target;
    const TargetInfo* target = find_target(o.target);
    r.alignment = target ? target->alignment : 0;
    r.arena_bytes = m.plan.arena_bytes;
    r.arena_lower_bound_bytes = m.plan.lower_bound_bytes;
    r.weights_bytes = m.code.weight_bytes;
    r.tflm = tflm;
    for (ValueId id : g.inputs) r.inputs.push_back(describe(g, id));
    for (ValueId id : g.outputs) r.outputs.push_back(describe(g, id));

    std::vector<int> last_reader(g.values.size(), -1);
    std::set<ValueId> weights;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        for (ValueId id : g.nodes[i].inputs) {
            if (id == kNoValue) continue;
            last_reader[std::size_t(id)] = int(i);
            if (g.value(id).is_constant()) weights.insert(id);
        }
    for (ValueId id : weights) r.parameters += g.value(id).numel();

    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        LayerReport layer;
        layer.index = int(i);
        layer.name = n.name;
        layer.op = op_label(n);
        const OpSchema* op = find_op(n.domain, n.op_type);
        NodeCtx c(g, n);
        layer.macs = op && op->macs ? op->macs(c) : 0;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) continue;
            TensorReport t = describe(g, id);
            t.first = int(i);
            t.last = std::max(int(i), last_reader[std::size_t(id)]);
            auto at = m.plan.offset.find(id);
            t.graph_output = g.is_graph_output(id);
            if (at != m.plan.offset.end() && !t.graph_output) t.arena_offset = at->second;
            if (is_intermediate(g, id)) r.naive_bytes += t.bytes;
            layer.outputs.push_back(std::move(t));
        }
        auto ws = m.plan.workspace.find(int(i));
        layer.workspace_bytes = scratch_bytes(g, n);
        if (ws != m.plan.workspace.end() && layer.workspace_bytes > 0) layer.workspace_offset = ws->second;
        r.naive_bytes += layer.workspace_bytes;
        r.macs += layer.macs;
        ++r.ops[layer.op];
        r.layers.push_back(std::move(layer));
    }
    return r;
}

std::string report_json(const CompileReport& r) {
    using json = nlohmann::ordered_json;  // keys in the order written: the summary first
    auto opt = [](const std::optional<std::size_t>& v) { return v ? json(*v) : json(nullptr); };
    auto tensor = [&](const TensorReport& t, bool with_arena) {
        json j = {{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"bytes", t.bytes}};
        if (with_arena) {
            j["graph_output"] = t.graph_output;
            j["arena_offset"] = opt(t.arena_offset);
            j["arena_bytes"] = t.arena_offset ? json(t.bytes) : json(nullptr);
            j["first_step"] = t.first;
            j["last_step"] = t.last;
        }
        return j;
    };
    json j;
    j["model"] = r.model;
    j["name"] = r.name;
    j["target"] = r.target;
    j["alignment"] = r.alignment;
    j["arena_bytes"] = r.arena_bytes;
    j["arena_lower_bound_bytes"] = r.arena_lower_bound_bytes;
    j["weights_bytes"] = r.weights_bytes;
    j["naive_bytes"] = r.naive_bytes;
    j["tflm_greedy_bytes"] = r.tflm ? json(r.tflm->arena_bytes) : json(nullptr);
    j["tflm_naive_bytes"] = r.tflm ? json(r.tflm->naive_bytes) : json(nullptr);
    j["tflm_layers"] = r.tflm ? json(r.tflm->layers) : json(nullptr);
    j["parameters"] = r.parameters;
    j["macs"] = r.macs;
    j["layer_count"] = r.layers.size();
    j["ops"] = json::object();
    for (const auto& [op, count] : r.ops) j["ops"][op] = count;
    j["inputs"] = json::array();
    for (const TensorReport& t : r.inputs) j["inputs"].push_back(tensor(t, false));
    j["outputs"] = json::array();
    for (const TensorReport& t : r.outputs) j["outputs"].push_back(tensor(t, false));
    j["layers"] = json::array();
    for (const LayerReport& l : r.layers) {
        json lj = {{"index", l.index}, {"name", l.name}, {"op", l.op}, {"macs", l.macs}};
        lj["outputs"] = json::array();
        for (const TensorReport& t : l.outputs) lj["outputs"].push_back(tensor(t, true));
        lj["workspace"] = l.workspace_offset ? json{{"offset", *l.workspace_offset}, {"bytes", l.workspace_bytes}}
                                             : json(nullptr);
        j["layers"].push_back(std::move(lj));
    }
    // Model strings need not be UTF-8; replacing bad bytes keeps the file valid JSON instead of throwing.
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string report_text(const CompileReport& r) {
    auto io = [](const char* what, const TensorReport& t) {
        return fmt::format("  {} '{}': {}[{}]\n", what, printable(t.name), t.dtype, shape_str(t.shape));
    };
    auto pct = [](std::size_t a, std::size_t b) { return b ? fmt::format("{:.1f}%", 100.0 * double(a) / double(b)) : "-"; };
    auto where = [](const TensorReport& t) {
        return t.arena_offset ? std::to_string(*t.arena_offset) : t.graph_output ? "output" : "-";
    };
    std::string s = fmt::format("model {} ({} after passes: {} layers, target {})\n", printable(r.model), r.name,
                                r.layers.size(), r.target);
    for (const TensorReport& t : r.inputs) s += io("input ", t);
    for (const TensorReport& t : r.outputs) s += io("output", t);
    s += fmt::format("\n  {:<4} {:<28} {:<20} {:<24} {:>12} {:>10} {:>10}\n", "#", "layer", "op", "output", "MACs",
                     "offset", "bytes");
    for (const LayerReport& l : r.layers) {
        std::string shape = "-", offset = "-", bytes = "-";
        if (!l.outputs.empty()) {
            const TensorReport& t = l.outputs[0];
            shape = fmt::format("{}[{}]", t.dtype, shape_str(t.shape));
            offset = where(t);
            bytes = std::to_string(t.bytes);
        }
        s += fmt::format("  {:<4} {:<28} {:<20} {:<24} {:>12} {:>10} {:>10}\n", l.index,
                         printable(l.name).substr(0, 28), printable(l.op), shape, l.macs, offset, bytes);
        for (std::size_t k = 1; k < l.outputs.size(); ++k) {
            const TensorReport& t = l.outputs[k];
            s += fmt::format("  {:<4} {:<28} {:<20} {:<24} {:>12} {:>10} {:>10}\n", "", "", "",
                             fmt::format("{}[{}]", t.dtype, shape_str(t.shape)), "",
                             where(t), t.bytes);
        }
        if (l.workspace_offset)
            s += fmt::format("  {:<4} {:<28} {:<20} {:<24} {:>12} {:>10} {:>10}\n", "", "", "", "(workspace)", "",
                             *l.workspace_offset, l.workspace_bytes);
    }
    s += "\nops:";
    for (const auto& [op, count] : r.ops) s += fmt::format(" {}x{}", printable(op), count);
    s += fmt::format("\nparameters: {} ({} bytes)\nMACs: {}\n", r.parameters, r.weights_bytes, r.macs);
    s += fmt::format("arena: {} bytes (lower bound {} bytes), {} of the bound\n", r.arena_bytes,
                     r.arena_lower_bound_bytes, pct(r.arena_bytes, r.arena_lower_bound_bytes));
    s += fmt::format("naive (every intermediate in its own space): {} bytes\n", r.naive_bytes);
    if (r.tflm)
        s += fmt::format("TFLM-style greedy (unfused, {} layers in file order): {} bytes (arena is {} of it)\n",
                         r.tflm->layers, r.tflm->arena_bytes, pct(r.arena_bytes, r.tflm->arena_bytes));
    s += fmt::format("weights: {} bytes\n", r.weights_bytes);
    return s;
}

Expected<std::string> report_format(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".json") return std::string("json");
    if (ext == ".html" || ext == ".htm") return std::string("html");
    return Status::errorf("--report '{}': the file name must end in .json or .html", path);
}

Status write_report(const CompileReport& r, const std::string& path) {
    Expected<std::string> format = report_format(path);
    if (!format) return format.status();
    fs::path p(path);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    std::string text = *format == "json" ? report_json(r) : report_html(r);
    Status s = write_files_atomically(dir, {{p.filename().string(), text}});
    return s.with_prefix("--report: ");
}

std::string html_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '&': o += "&amp;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) o += c;
        }
    }
    return o;
}

}  // namespace kiln
