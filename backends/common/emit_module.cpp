// Module layout of generated code. Every name that comes from the model is sanitized; iteration is in
// value/node order so the output is a pure function of the graph and the options.
#include "backends/common/emit_module.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "backends/common/backend.h"
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/common/kernel_sources.h"
#include "ops/registry.h"

namespace kiln {

const char* const kKilnVersion = "0.1.0";

namespace {

struct IoParam {
    ValueId id;
    std::string name;  // parameter name in run()
};

std::string value_type_comment(const Value& v) {
    return fmt::format("{}[{}]", dtype_name(v.dtype), shape_str(v.shape));
}

class ModuleWriter {
public:
    ModuleWriter(const Graph& g, const MemoryPlan& plan, const EmitOptions& o) : g_(g), plan_(plan), o_(o) {}

    Expected<GeneratedCode> run() {
        state_.workspace = plan_.workspace;  // layers are emitted in node order: layer index = node index
        name_io();
        KILN_TRY(bind_values());
        KILN_TRY(emit_layers());
        write_read_weights();
        Expected<KernelBundle> kernels = bundle_kernels(state_.kernels);
        if (!kernels) return kernels.status();
        GeneratedCode out;
        out.arena_bytes = plan_.arena_bytes;
        out.weight_bytes = weight_bytes_;
        out.files[o_.name + ".h"] = header();
        out.files[o_.name + ".cpp"] = source(*kernels);
        for (std::size_t k = 0; k < weight_files_.size(); ++k) out.files[weight_file_name(k)] = weight_file(k);
        return out;
    }

private:
    // run()'s parameters: the caller's arena first when it is external, then inputs, then outputs.
    std::string param_list(bool with_types) const {
        std::vector<std::string> ps;
        if (o_.external_arena) ps.push_back(with_types ? "uint8_t* arena" : "arena");
        for (const IoParam& p : inputs_)
            ps.push_back(with_types ? fmt::format("const {}* {}", dtype_ctype(g_.value(p.id).dtype), p.name) : p.name);
        for (const IoParam& p : outputs_)
            ps.push_back(with_types ? fmt::format("{}* {}", dtype_ctype(g_.value(p.id).dtype), p.name) : p.name);
        return fmt::format("{}", fmt::join(ps, ", "));
    }

    void name_io() {
        std::set<std::string> used;
        auto unique = [&](std::string base) {
            std::string n = base;
            for (int k = 2; !used.insert(n).second; ++k) n = base + "_" + std::to_string(k);
            return n;
        };
        for (ValueId id : g_.inputs) inputs_.push_back({id, unique("in_" + sanitize_identifier(g_.value(id).name, 32))});
        for (ValueId id : g_.outputs) outputs_.push_back({id, unique("out_" + sanitize_identifier(g_.value(id).name, 32))});
    }

    // Gives every value the nodes touch a C expression: run() parameter, weight array or arena slice.
    Status bind_values() {
        for (const IoParam& p : inputs_) state_.value_expr[p.id] = p.name;
        std::set<ValueId> produced;
        for (const Node& n : g_.nodes)
            for (ValueId id : n.outputs)
                if (id != kNoValue) produced.insert(id);
        for (const IoParam& p : outputs_)
            if (produced.count(p.id) && !state_.value_expr.count(p.id)) state_.value_expr[p.id] = p.name;
        std::set<ValueId> referenced(g_.outputs.begin(), g_.outputs.end());
        for (const Node& n : g_.nodes) {
            for (ValueId id : n.inputs) if (id != kNoValue) referenced.insert(id);
            for (ValueId id : n.outputs) if (id != kNoValue) referenced.insert(id);
        }
        for (ValueId id : referenced) {
            if (state_.value_expr.count(id)) continue;
            const Value& v = g_.value(id);
            std::string ctype = dtype_ctype(v.dtype);
            if (v.numel() == 0) {
                state_.value_expr[id] = fmt::format("static_cast<{}*>(nullptr)", ctype);
                continue;
            }
            if (v.is_constant()) {
                std::string name = fmt::format("w{}_{}", id, sanitize_identifier(v.name, 32));
                pending_weights_[id] = name;  // written after the layers, if any of them reads it
                state_.value_expr[id] = name;
                continue;
            }
            auto off = plan_.offset.find(id);
            if (off == plan_.offset.end())
                return Status::errorf("internal: value '{}' has no arena offset", v.name);
            std::string name = fmt::format("t{}_{}", id, sanitize_identifier(v.name, 32));
            std::string note;
            auto shared = plan_.shares.find(id);
            if (shared != plan_.shares.end())
                note = fmt::format(", {} of {}", plan_.sharing.at(id), sanitize_comment(g_.value(shared->second).name));
            locals_[id] = fmt::format("{}* const {} = reinterpret_cast<{}*>(arena + {});  // {}{}", ctype, name, ctype,
                                      off->second, value_type_comment(v), note);
            state_.value_expr[id] = name;
        }
        return Status::ok();
    }

    // A weight array to write: a constant value some layer reads, or a constant a backend derived.
    struct WeightRef {
        std::string name;
        std::string comment;
        const Tensor* data;
    };

    // Constants only some op needed at compile time (Reshape's shape, Slice's starts...) are left out:
    // they would cost flash and trip -Wunused-const-variable. Past o_.weight_file_bytes in all, the arrays are
    // defined in NAME-weights-K.cpp files and NAME.cpp declares them: tensors of that size or more get a file
    // each, smaller ones fill a file in value order until the next would not fit. With o_.weight_files N, always
    // N files (write_weights_to_n_files). Derived weights follow the model's, in layer order.
    void write_read_weights() {
        std::vector<WeightRef> read;
        std::size_t total = 0;
        for (const auto& kv : pending_weights_) {
            if (!state_.read.count(kv.first)) continue;
            const Value& v = g_.value(kv.first);
            read.push_back({kv.second, fmt::format("{} {}", sanitize_comment(v.name), value_type_comment(v)), &*v.data});
            total += v.data->nbytes();
        }
        for (const DerivedWeight& d : state_.derived) {
            read.push_back({d.name, d.comment, &d.data});
            total += d.data.nbytes();
        }
        if (o_.weight_files > 0) {
            write_weights_to_n_files(read);
            return;
        }
        const bool split = total > o_.weight_file_bytes;
        const std::size_t none = std::size_t(-1);
        std::size_t open_file = none, in_open_file = 0;  // the file that collects tensors smaller than the limit
        for (const WeightRef& r : read) {
            if (!split) {
                write_weight(weights_, "static const", r);
                continue;
            }
            const std::size_t bytes = r.data->nbytes();
            std::size_t file = weight_files_.size();  // a tensor of the limit or more gets a file of its own
            if (bytes < o_.weight_file_bytes) {
                if (open_file == none || in_open_file + bytes > o_.weight_file_bytes) {
                    open_file = weight_files_.size();
                    in_open_file = 0;
                } else {
                    file = open_file;
                }
                in_open_file += bytes;
            }
            if (file == weight_files_.size()) weight_files_.emplace_back();
            write_weight_to_file(file, r);
        }
    }

    // --weight-files N: largest tensor first (ties in value order) to the file with the fewest bytes so far
    // (the lowest index among equals); within a file, tensors stay in value order.
    void write_weights_to_n_files(const std::vector<WeightRef>& read) {
        weight_files_.resize(o_.weight_files);
        std::vector<std::size_t> by_size(read.size());
        for (std::size_t i = 0; i < read.size(); ++i) by_size[i] = i;
        std::stable_sort(by_size.begin(), by_size.end(),
                         [&](std::size_t a, std::size_t b) { return read[a].data->nbytes() > read[b].data->nbytes(); });
        std::vector<std::size_t> bytes(o_.weight_files, 0);
        std::vector<std::size_t> file_of(read.size());
        for (std::size_t i : by_size) {
            std::size_t k = std::min_element(bytes.begin(), bytes.end()) - bytes.begin();
            bytes[k] += read[i].data->nbytes();
            file_of[i] = k;
        }
        for (std::size_t i = 0; i < read.size(); ++i) write_weight_to_file(file_of[i], read[i]);
    }

    void write_weight_to_file(std::size_t file, const WeightRef& r) {
        const std::string decl = fmt::format("alignas({}) extern const {} {}[{}];", o_.target->alignment,
                                             dtype_ctype(r.data->dtype()), r.name, r.data->numel());
        weights_.line("{}  // {}", decl, weight_file_name(file));
        weight_files_[file].line(decl.c_str());  // the definition below then has external linkage
        write_weight(weight_files_[file], "const", r);
        weight_files_[file].blank();
    }

    std::string weight_file_name(std::size_t k) const { return fmt::format("{}-weights-{}.cpp", o_.name, k); }

    void write_weight(CodeWriter& w, const char* storage, const WeightRef& r) {
        const Tensor& t = *r.data;
        weight_bytes_ += t.nbytes();
        w.line("// {}", r.comment);
        w.open(fmt::format("alignas({}) {} {} {}[{}] =", o_.target->alignment, storage, dtype_ctype(t.dtype()), r.name,
                           t.numel()));
        std::string line;
        for (int64_t i = 0; i < t.numel(); ++i) {
            std::string e = c_element(t, i);
            if (!line.empty() && line.size() + e.size() > 100) {
                w.raw_line(line);
                line.clear();
            }
            line += e + ",";
            if (line.size() < 100) line += " ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        if (!line.empty()) w.raw_line(line);
        w.close(";");
    }

    std::string weight_file(std::size_t k) const {
        CodeWriter w;
        w.line("// Generated by Kiln {} from '{}' for target {}. Do not edit.", kKilnVersion,
               sanitize_comment(o_.model_label), o_.target->name);
        w.line("// Weights of {}, file {} of {} ({}.cpp declares them); compile it with {}.cpp.", o_.name, k + 1,
               weight_files_.size(), o_.name, o_.name);
        if (weight_files_[k].str().empty()) {  // --weight-files N with fewer than N tensors
            w.line("// No weight fell to this file: it exists so that the list of generated files is fixed.");
            return w.str();
        }
        w.line("#include <cmath>");
        w.line("#include <cstdint>");
        w.blank();
        w.line("namespace {} {{", o_.name);
        w.blank();
        w.verbatim(weight_files_[k].str());
        w.line("}}  // namespace {}", o_.name);
        return w.str();
    }

    Status emit_layers() {
        int layer = 0;
        for (const Node& n : g_.nodes) {
            const OpSchema* op = find_op(n.domain, n.op_type);
            if (!op) return Status::errorf("internal: no schema for {}", n.op_type);
            std::vector<std::string> ins, outs;
            for (ValueId id : n.inputs)
                if (id != kNoValue) ins.push_back(value_type_comment(g_.value(id)));
            for (ValueId id : n.outputs)
                if (id != kNoValue) outs.push_back(value_type_comment(g_.value(id)));
            // Layers the plan made free keep only their comment: an alias (reshape-like, its output planned on
            // its input's bytes) or a Concat whose inputs' producers wrote them into its output.
            const bool elided = plan_.elided.count(layer) != 0;
            const char* why = n.op_type == "Concat" ? " (in place: its inputs were written into it)" : " (alias: no copy)";
            state_.body.line("// L{} {}: {} {} -> {}{}", layer, sanitize_comment(n.name, 60), n.op_type,
                             fmt::join(ins, ", "), fmt::join(outs, ", "), elided ? why : "");
            if (elided) {
                ++layer;
                continue;
            }
            state_.body.line("#ifdef KILN_PROFILE");
            state_.body.line("kiln_profile_layer({});", layer);
            state_.body.line("#endif");
            EmitCtx ctx(g_, n, layer, state_);
            std::size_t ws = 0;
            if (const OpOverride* ov = find_override(*o_.target, g_, n, &ws)) {
                KILN_TRY(ov->emit(ctx, *o_.target));
                KILN_TRY(ctx.status());
                ++layer;
                continue;
            }
            if (!op->emit) return ctx.fail("internal: control flow reached the emitter unexpanded");
            KILN_TRY(op->emit(ctx));
            KILN_TRY(ctx.status());
            ++layer;
        }
        state_.body.line("#ifdef KILN_PROFILE");
        state_.body.line("kiln_profile_layer(-1);  // the end of the last layer");
        state_.body.line("#endif");
        // Outputs no node writes directly: graph inputs or constants passed through, or repeated outputs.
        std::set<ValueId> written;
        for (const IoParam& p : outputs_) {
            auto it = state_.value_expr.find(p.id);
            bool direct = it != state_.value_expr.end() && it->second == p.name;
            if (direct && written.insert(p.id).second) continue;
            const Value& v = g_.value(p.id);
            if (v.nbytes() == 0) continue;
            state_.read.insert(p.id);
            state_.body.line("std::memcpy({}, {}, {});  // output '{}'", p.name, state_.value_expr.at(p.id), v.nbytes(),
                             sanitize_comment(v.name));
        }
        return Status::ok();
    }

    std::string header() const {
        CodeWriter w;
        const std::string& ns = o_.name;
        w.line("// Generated by Kiln {} from '{}' for target {}. Do not edit.", kKilnVersion,
               sanitize_comment(o_.model_label), o_.target->name);
        w.line("// API: {}::run() / {}_run(): inputs then outputs, each a contiguous buffer of the shape below;",
               ns, ns);
        if (o_.external_arena) {
            w.line("// the caller passes the arena: kArenaBytes bytes aligned to kArenaAlignment, used by one");
            w.line("// inference at a time (it holds no state between runs). Returns 0 on success.");
        } else {
            w.line("// returns 0 on success. One static arena: one inference at a time.");
        }
        w.line("#pragma once");
        w.blank();
        w.line("#include <cstddef>");
        w.line("#include <cstdint>");
        w.blank();
        w.line("namespace {} {{", ns);
        w.blank();
        w.line("constexpr std::size_t kArenaBytes = {};", plan_.arena_bytes);
        w.line("constexpr std::size_t kArenaAlignment = {};", arena_alignment());
        w.line("constexpr std::size_t kWeightBytes = {};", weight_bytes_);
        w.line("constexpr int kNumInputs = {};", inputs_.size());
        w.line("constexpr int kNumOutputs = {};", outputs_.size());
        auto io_consts = [&](const char* kind, std::size_t i, const IoParam& p) {
            const Value& v = g_.value(p.id);
            w.blank();
            w.line("// {} {} '{}': {}", kind, i, sanitize_comment(v.name), value_type_comment(v));
            std::string k = fmt::format("k{}{}", kind[0] == 'i' ? "Input" : "Output", i);
            w.line("constexpr std::size_t {}Elements = {};", k, v.numel());
            w.line("constexpr std::size_t {}Bytes = {};", k, v.nbytes());
            w.line("constexpr int {}Rank = {};", k, v.shape.size());
            Shape s = v.shape.empty() ? Shape{1} : v.shape;
            w.line("constexpr int64_t {}Shape[{}] = {};{}", k, s.size(), c_int_list(s), v.shape.empty() ? "  // scalar" : "");
            if (v.quant && v.quant->scale.size() == 1) {
                w.line("constexpr float {}Scale = {};", k, c_float(v.quant->scale[0]));
                w.line("constexpr int32_t {}ZeroPoint = {};", k, v.quant->zero_point.empty() ? 0 : v.quant->zero_point[0]);
            }
        };
        for (std::size_t i = 0; i < inputs_.size(); ++i) io_consts("input", i, inputs_[i]);
        for (std::size_t i = 0; i < outputs_.size(); ++i) io_consts("output", i, outputs_[i]);
        w.blank();
        auto bytes_list = [&](const std::vector<IoParam>& ps) {
            std::vector<int64_t> b;
            for (const IoParam& p : ps) b.push_back(int64_t(g_.value(p.id).nbytes()));
            if (b.empty()) b.push_back(0);  // no zero-length arrays in C++
            return c_int_list(b);
        };
        w.line("// Byte sizes by position (a single 0 when there are none).");
        w.line("constexpr std::size_t kInputBytes[] = {};", bytes_list(inputs_));
        w.line("constexpr std::size_t kOutputBytes[] = {};", bytes_list(outputs_));
        w.blank();
        w.line("int run({});", param_list(true));
        w.line("// The same call with buffers in arrays (inputs then outputs in model order), for harnesses.");
        w.line("int run_buffers({}const void* const* inputs, void* const* outputs);",
               o_.external_arena ? "uint8_t* arena, " : "");
        w.blank();
        w.line("}}  // namespace {}", ns);
        w.blank();
        w.line("extern \"C\" int {}_run({});", ns, param_list(true));
        return w.str();
    }

    std::string source(const KernelBundle& kernels) const {
        CodeWriter w;
        const std::string& ns = o_.name;
        w.line("// Generated by Kiln {} from '{}' for target {}. Do not edit.", kKilnVersion,
               sanitize_comment(o_.model_label), o_.target->name);
        w.line("// {} layers, arena {} bytes, weights {} bytes.", g_.nodes.size(), plan_.arena_bytes, weight_bytes_);
        if (!weight_files_.empty())
            w.line("// The weights are defined in {}-weights-0.cpp to {}: compile those with this file.", ns,
                   weight_file_name(weight_files_.size() - 1));
        w.line("#include \"{}.h\"", ns);
        w.blank();
        std::set<std::string> sys = kernels.system_includes;
        sys.insert("<cstring>");
        sys.insert("<cstdint>");
        sys.insert("<cmath>");
        for (const std::string& s : sys) w.line("#include {}", s);
        w.blank();
        if (!o_.target->cpu_features.empty()) {  // the x86 kernels need the ISA's intrinsics enabled
            std::vector<std::string> macros;
            for (const std::string& f : o_.target->cpu_features) {
                std::string m = f;
                for (char& ch : m) ch = char(std::toupper(static_cast<unsigned char>(ch)));
                macros.push_back("!defined(__" + m + "__)");
            }
            w.line("#if {}", fmt::join(macros, " || "));
            w.line("#error \"{}.cpp is generated for target {}: compile it with {}\"", ns, o_.target->name,
                   fmt::join(o_.target->cxx_flags, " "));
            w.line("#endif");
            w.blank();
        }
        w.line("namespace {} {{", ns);
        w.blank();
        if (!kernels.body.empty()) {  // a model folded to constants uses no kernel namespace at all
            // The kernels live in the model's namespace: two models in one firmware never clash, and unused
            // inline helpers do not warn (they would in an anonymous namespace).
            w.verbatim(kernels.body);
            w.blank();
            w.line("namespace k = ::{}::kiln::kernels;", ns);
            w.blank();
        }
        if (!weights_.str().empty()) {
            w.verbatim(weights_.str());
            w.blank();
        }
        if (!state_.params.str().empty()) {
            w.verbatim(state_.params.str());
            w.blank();
        }
        if (plan_.arena_bytes > 0 && !o_.external_arena) {
            w.line("alignas(kArenaAlignment) static uint8_t arena[kArenaBytes];");
            w.blank();
        }
        // kiln bench --profile: with -DKILN_PROFILE, run() calls this before each layer L and with -1 after the last.
        w.line("#ifdef KILN_PROFILE");
        w.line("extern \"C\" void kiln_profile_layer(int layer);");
        w.line("#endif");
        w.open(fmt::format("int run({})", param_list(true)));
        for (const IoParam& p : inputs_)
            if (!state_.read.count(p.id)) w.line("(void){};  // not read by the model", p.name);
        for (const IoParam& p : outputs_)
            if (!state_.read.count(p.id)) w.line("(void){};  // empty, or written by no layer", p.name);
        if (o_.external_arena && plan_.arena_bytes == 0) w.line("(void)arena;  // every tensor is a weight or an argument");
        CodeWriter locals;  // the arena slices some layer reads or writes (aliases of elided layers may not be)
        for (const auto& kv : locals_)
            if (state_.read.count(kv.first)) locals.raw_line(kv.second);
        w.block(locals.str());
        w.block(state_.body.str());
        w.line("return 0;");
        w.close();
        w.blank();
        w.open(fmt::format("int run_buffers({}const void* const* inputs, void* const* outputs)",
                           o_.external_arena ? "uint8_t* arena, " : ""));
        std::vector<std::string> args;
        if (o_.external_arena) args.push_back("arena");
        for (std::size_t i = 0; i < inputs_.size(); ++i)
            args.push_back(fmt::format("static_cast<const {}*>(inputs[{}])", dtype_ctype(g_.value(inputs_[i].id).dtype), i));
        for (std::size_t i = 0; i < outputs_.size(); ++i)
            args.push_back(fmt::format("static_cast<{}*>(outputs[{}])", dtype_ctype(g_.value(outputs_[i].id).dtype), i));
        if (inputs_.empty()) w.line("(void)inputs;");
        w.line("return run({});", fmt::join(args, ", "));
        w.close();
        w.blank();
        w.line("}}  // namespace {}", ns);
        w.blank();
        w.open(fmt::format("extern \"C\" int {}_run({})", ns, param_list(true)));
        w.line("return {}::run({});", ns, param_list(false));
        w.close();
        return w.str();
    }

    const Graph& g_;
    const MemoryPlan& plan_;
    const EmitOptions& o_;
    std::vector<IoParam> inputs_, outputs_;
    ModuleEmitState state_;
    std::size_t arena_alignment() const { return std::max<std::size_t>(o_.target->alignment, 16); }

    CodeWriter weights_;
    std::map<ValueId, std::string> locals_;  // arena value -> its pointer definition in run()
    std::vector<CodeWriter> weight_files_;  // NAME-weights-K.cpp bodies, when the weights are split
    std::size_t weight_bytes_ = 0;
    std::map<ValueId, std::string> pending_weights_;  // constant value -> weight array name
};

}  // namespace

Expected<GeneratedCode> emit_module(const Graph& g, const MemoryPlan& plan, const EmitOptions& options) {
    return ModuleWriter(g, plan, options).run();
}

}  // namespace kiln
