// Compile flow and atomic output.
#include "driver/compile_model.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "backends/common/backend.h"
#include "backends/common/c_literals.h"
#include "passes/pass.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {
const std::set<std::string>& cxx_keywords() {
    static const std::set<std::string> k = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char16_t", "char32_t", "class", "compl", "const", "constexpr", "const_cast", "continue", "decltype",
        "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
        "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept",
        "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
        "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union",
        "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "std", "kiln", "k", "main"};
    return k;
}
}  // namespace

bool is_valid_model_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    if (name.find("__") != std::string::npos || name[0] == '_') return false;
    return !cxx_keywords().count(name);
}

std::string default_model_name(const std::string& model_path) {
    std::string n = sanitize_identifier(fs::path(model_path).stem().string(), 40);
    if (!is_valid_model_name(n)) n = "model_" + n;
    if (!is_valid_model_name(n)) n = "model";
    return n;
}

Status validate_compile_options(const CompileOptions& o) {
    if (!find_target(o.target))
        return Status::errorf("unknown target '{}' (available: {})", o.target, fmt::join(target_names(), ", "));
    std::string name = o.name.empty() ? default_model_name(o.model_path) : o.name;
    if (!is_valid_model_name(name))
        return Status::errorf("--name '{}' is not usable as a C++ namespace (letters, digits and single underscores, "
                              "not starting with a digit or _, not a keyword)", name);
    if (!o.print_ir_after.empty() && o.print_ir_after != "all") {
        bool known = false;
        std::vector<std::string> names;
        for (const Pass& p : pipeline_for_target(o.target)) {
            known = known || o.print_ir_after == p.name;
            names.push_back(p.name);
        }
        if (!known)
            return Status::errorf("--print-ir-after: no pass '{}' (passes: {}, or all)", o.print_ir_after,
                                  fmt::join(names, ", "));
    }
    return Status::ok();
}

Expected<CompiledModel> compile_model(const CompileOptions& o, const std::function<void(const std::string&)>& log) {
    KILN_TRY(validate_compile_options(o));
    const TargetInfo* target = find_target(o.target);
    std::string name = o.name.empty() ? default_model_name(o.model_path) : o.name;
    std::vector<Pass> passes = pipeline_for_target(o.target);
    ImportOptions io;
    io.input_shapes = o.input_shapes;
    io.frozen_inputs = o.frozen_inputs;
    Expected<Graph> g = import_onnx_file(o.model_path, io);
    if (!g) return g.status();
    Expected<Graph> r = run_pipeline(std::move(*g), passes, [&](const Pass& p, const Graph& after) {
        if (o.print_ir_after == "all" || o.print_ir_after == p.name)
            log(fmt::format("// ---- IR after {} ----\n{}", p.name, print_graph(after)));
    });
    if (!r) return r.status().with_prefix(o.model_path + ": ");
    if (o.print_ir) log(print_graph(*r));
    CompiledModel m;
    m.name = name;
    m.graph = std::move(*r);
    m.plan = plan_memory(m.graph, target->alignment, [target](const Graph& g, const Node& n, std::size_t* bytes) {
        return find_override(*target, g, n, bytes) != nullptr;
    });
    EmitOptions eo{name, fs::path(o.model_path).filename().string(), target, o.weight_file_bytes, o.weight_files,
                   o.external_arena};
    Expected<GeneratedCode> code = emit_module(m.graph, m.plan, eo);
    if (!code) return code.status().with_prefix(o.model_path + ": ");
    m.code = std::move(*code);
    return m;
}

Status write_files_atomically(const std::string& dir, const std::map<std::string, std::string>& files) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) return Status::errorf("{}: cannot create output folder", dir);
    std::random_device rd;
    fs::path tmp = fs::path(dir) / fmt::format(".kiln-tmp-{:08x}", rd());
    fs::create_directory(tmp, ec);
    if (ec) return Status::errorf("{}: cannot create a temporary folder: {}", tmp.string(), ec.message());
    auto fail = [&](const std::string& what) {
        fs::remove_all(tmp, ec);
        return Status::error(what);
    };
    for (const auto& [name, text] : files) {
        std::ofstream out(tmp / name, std::ios::binary);
        out << text;
        out.close();
        if (!out) return fail(fmt::format("{}: cannot write", (fs::path(dir) / name).string()));
    }
    for (const auto& kv : files) {
        fs::rename(tmp / kv.first, fs::path(dir) / kv.first, ec);
        if (ec) return fail(fmt::format("{}: cannot move into place: {}", (fs::path(dir) / kv.first).string(), ec.message()));
    }
    fs::remove_all(tmp, ec);
    return Status::ok();
}

void remove_generated(const std::string& dir, const std::string& name, const std::set<std::string>& keep) {
    std::error_code ec;
    std::vector<std::string> ours = {name + ".h", name + ".cpp"};
    // A model name has no '-', so NAME-weights-K.cpp never belongs to another model in the folder.
    const std::string prefix = name + "-weights-";
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string f = e.path().filename().string();
        if (f.size() > prefix.size() + 4 && f.compare(0, prefix.size(), prefix) == 0 &&
            f.compare(f.size() - 4, 4, ".cpp") == 0 &&
            f.find_first_not_of("0123456789", prefix.size()) == f.size() - 4)
            ours.push_back(f);
    }
    for (const std::string& f : ours)
        if (!keep.count(f)) fs::remove(fs::path(dir) / f, ec);
}

}  // namespace kiln
