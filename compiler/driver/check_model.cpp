// kiln check: build and run generated code on test data; report per output; JUnit/JSON for CI.
#include "driver/check_model.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "backends/common/kernel_sources.h"
#include "driver/compare.h"
#include "driver/exit_codes.h"
#include "driver/harness_build.h"
#include "driver/process.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {

struct OutputResult {
    std::string set, name;
    Comparison cmp;
};

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '&': o += "&amp;"; break;
        case '"': o += "&quot;"; break;
        default: o += (c >= 0x20 || c == '\n' || c == '\t') ? std::string(1, c) : std::string("?");
        }
    }
    return o;
}

void write_reports(const CheckOptions& o, const std::string& error, const std::vector<OutputResult>& results) {
    bool passed = error.empty() && std::all_of(results.begin(), results.end(), [](const auto& r) { return r.cmp.match; });
    if (!o.json_path.empty()) {
        nlohmann::json j;
        j["model"] = o.compile.model_path;
        j["target"] = o.compile.target;
        j["passed"] = passed;
        j["rtol"] = o.rtol;
        j["atol"] = o.atol;
        if (!error.empty()) j["error"] = error;
        j["outputs"] = nlohmann::json::array();
        for (const auto& r : results)
            j["outputs"].push_back({{"data_set", r.set}, {"output", r.name}, {"match", r.cmp.match},
                                    {"max_abs_error", std::isfinite(r.cmp.max_abs_error) ? r.cmp.max_abs_error : -1.0},
                                    {"mismatches", r.cmp.mismatches}, {"problem", r.cmp.problem}});
        std::ofstream(o.json_path) << j.dump(2) << "\n";
    }
    if (!o.junit_path.empty()) {
        std::ofstream x(o.junit_path);
        std::size_t failures = error.empty() ? 0 : 1;
        for (const auto& r : results) failures += r.cmp.match ? 0 : 1;
        std::string suite = xml_escape(fs::path(o.compile.model_path).filename().string());
        x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        x << fmt::format("<testsuite name=\"kiln check {} ({})\" tests=\"{}\" failures=\"{}\">\n", suite,
                         xml_escape(o.compile.target), std::max<std::size_t>(results.size(), 1), failures);
        if (!error.empty())
            x << fmt::format("  <testcase classname=\"{}\" name=\"compile\"><failure message=\"{}\"/></testcase>\n",
                             suite, xml_escape(error));
        for (const auto& r : results) {
            x << fmt::format("  <testcase classname=\"{}\" name=\"{}/{}\">", suite, xml_escape(r.set), xml_escape(r.name));
            if (!r.cmp.match)
                x << fmt::format("<failure message=\"{}\"/>",
                                 xml_escape(r.cmp.problem.empty()
                                                ? fmt::format("{} elements differ, max abs error {}", r.cmp.mismatches,
                                                              r.cmp.max_abs_error)
                                                : r.cmp.problem));
            x << "</testcase>\n";
        }
        x << "</testsuite>\n";
    }
}

// ONNX 1.12's test data stores bfloat16 tensors as uint16: the same bits, read as the bfloat16 the model declares.
void as_model_dtype(Tensor& t, DType model) {
    if (t.dtype() != DType::UInt16 || model != DType::BFloat16) return;
    Tensor r(DType::BFloat16, t.shape());
    std::memcpy(r.raw(), t.raw(), t.nbytes());
    t = std::move(r);
}

bool write_raw(const Tensor& t, const fs::path& p) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.raw()), std::streamsize(t.nbytes()));
    return bool(out);
}

bool read_raw(Tensor& t, const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    in.read(reinterpret_cast<char*>(t.raw()), std::streamsize(t.nbytes()));
    return in.gcount() == std::streamsize(t.nbytes());
}

}  // namespace

std::vector<std::string> data_files(const std::string& set_dir, const std::string& prefix) {
    std::vector<std::string> files;
    for (int i = 0;; ++i) {
        fs::path p = fs::path(set_dir) / fmt::format("{}_{}.pb", prefix, i);
        if (!fs::exists(p)) break;
        files.push_back(p.string());
    }
    return files;
}

std::vector<std::string> find_data_sets(const std::vector<std::string>& paths) {
    std::vector<std::string> sets;
    for (const std::string& p : paths) {
        std::error_code ec;
        if (!fs::is_directory(p, ec)) continue;
        if (fs::exists(fs::path(p) / "input_0.pb") || fs::exists(fs::path(p) / "output_0.pb")) {
            sets.push_back(p);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& e : fs::directory_iterator(p, ec))
            if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
                found.push_back(e.path().string());
        std::sort(found.begin(), found.end());
        sets.insert(sets.end(), found.begin(), found.end());
    }
    return sets;
}

int run_check(const CheckOptions& o) {
    auto fail = [&](int code, const std::string& msg) {
        // The reason on one line; a build log, when there is one, follows on the next lines.
        auto nl = msg.find('\n');
        std::cerr << "kiln check: " << printable(msg.substr(0, nl)) << "\n";
        if (nl != std::string::npos) std::cerr << msg.substr(nl + 1) << "\n";
        write_reports(o, msg, {});
        return code;
    };
    std::vector<std::string> where = o.data;
    if (where.empty()) where.push_back(fs::path(o.compile.model_path).parent_path().string());
    std::vector<std::string> sets = find_data_sets(where);
    if (sets.empty())
        return fail(kExitUsage, fmt::format("no test data (input_N.pb/output_N.pb or test_data_set_* folders) in {}",
                                            fmt::join(where, ", ")));

    // Inputs of every set, loaded once; the first set binds any input shape not given on the command line.
    Expected<std::vector<std::string>> names = model_input_names(o.compile.model_path);
    if (!names) return fail(kExitBadModel, names.status().message());
    std::vector<std::vector<Tensor>> inputs, expected;
    for (const std::string& s : sets) {
        std::vector<Tensor> in, out;
        for (const std::string& f : data_files(s, "input")) {
            Expected<Tensor> t = load_tensor_file(f);
            if (!t) return fail(kExitUsage, t.status().message());
            in.push_back(std::move(*t));
        }
        for (const std::string& f : data_files(s, "output")) {
            Expected<Tensor> t = load_tensor_file(f);
            if (!t) return fail(kExitUsage, t.status().message());
            out.push_back(std::move(*t));
        }
        if (in.size() != names->size())
            return fail(kExitUsage, fmt::format("{}: {} input files but the model has {} inputs", s, in.size(), names->size()));
        inputs.push_back(std::move(in));
        expected.push_back(std::move(out));
    }
    CompileOptions co = o.compile;
    std::set<std::string> freeze(o.freeze.begin(), o.freeze.end());
    for (const std::string& f : freeze)
        if (std::find(names->begin(), names->end(), f) == names->end())
            return fail(kExitUsage, fmt::format("--freeze {}: the model has no such input", f));
    for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string& name = (*names)[i];
        DType t = inputs[0][i].dtype();
        if (o.freeze_int_inputs && (dtype_is_integer(t) || t == DType::Bool)) freeze.insert(name);
        if (freeze.count(name)) {
            for (std::size_t s = 1; s < sets.size(); ++s)
                if (!inputs[s][i].same_bytes(inputs[0][i]))
                    return fail(kExitUsage, fmt::format("--freeze {}: the data sets give it different values", name));
            co.frozen_inputs[name] = inputs[0][i];
        } else if (!co.input_shapes.count(name)) {
            co.input_shapes[name] = inputs[0][i].shape();
        }
    }
    // What the harness is fed: the inputs that stay run-time inputs, in order.
    for (auto& set : inputs) {
        std::vector<Tensor> live;
        for (std::size_t i = 0; i < names->size(); ++i)
            if (!co.frozen_inputs.count((*names)[i])) live.push_back(std::move(set[i]));
        set = std::move(live);
    }

    Expected<CompiledModel> m = compile_model(co, [](const std::string& s) { std::cout << s; });
    if (!m) return fail(kExitBadModel, m.status().message());
    const Graph& g = m->graph;

    std::error_code ec;
    const WorkDir scratch(o.work_dir, "kiln-check");
    const fs::path& work = scratch.path();
    std::map<std::string, std::string> files = m->code.files;
    Status stub = add_host_harness(files, "check_harness.cpp");
    if (!stub) return fail(kExitIo, stub.message());
    Status w = write_files_atomically(work.string(), files);
    if (!w) return fail(kExitIo, w.message());

    const TargetInfo* target = find_target(co.target);
    std::string cxx = o.cxx;
    if (cxx.empty()) cxx = !target->compiler.empty() ? target->compiler : std::getenv("CXX") ? std::getenv("CXX") : "c++";
    // A cross target needs its compiler and emulator: say which one is missing before anything runs.
    for (const std::string& program : {cxx, target->emulator.empty() ? std::string() : target->emulator[0]}) {
        if (program.empty() || program_exists(program)) continue;
        return fail(kExitBuildFailed,
                    fmt::format("target {} needs '{}', which is not installed or not in PATH{}", co.target, program,
                                target->packages.empty() ? "" : " (Debian/Ubuntu packages: " + target->packages + ")"));
    }
    // Native targets for an instruction set the host lacks (x86-avx512 on an AVX2 machine) would die of SIGILL.
    if (target->emulator.empty()) {
        std::vector<std::string> missing = missing_cpu_features(*target);
        if (!missing.empty())
            return fail(kExitBuildFailed, fmt::format("target {} runs natively and this CPU lacks {}: its code cannot "
                                                      "be checked here", co.target, fmt::join(missing, ", ")));
    }
    // Board files (startup, linker script) of cross targets, in their runtime-stubs/ layout.
    const fs::path stubs = work / "stubs";
    std::vector<std::string> stub_cpp;
    for (const std::string& f : target->stub_sources) {
        const char* text = find_runtime_stub(f);
        if (!text) return fail(kExitIo, fmt::format("runtime stub {} is not built into kiln", f));
        fs::create_directories((stubs / f).parent_path(), ec);
        std::ofstream out(stubs / f, std::ios::binary);
        out << text;
        out.close();
        if (!out) return fail(kExitIo, (stubs / f).string() + ": cannot write");
        if (fs::path(f).extension() == ".cpp") stub_cpp.push_back((stubs / f).string());
    }
    auto expand = [&](std::string a) {
        for (std::size_t at; (at = a.find("{stubs}")) != std::string::npos;) a.replace(at, 7, stubs.string());
        return a;
    };

    std::vector<std::string> cmd = {cxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic"};
    cmd.insert(cmd.end(), target->cxx_flags.begin(), target->cxx_flags.end());
    fs::path exe = work / "harness";
    for (const std::string& a : {"-I" + work.string(), "-DKILN_MODEL_HEADER=\"" + m->name + ".h\"", "-DKILN_NS=" + m->name})
        cmd.push_back(a);
    for (const auto& kv : files)  // NAME.cpp, its weight files if any, the harness; one at a time bounds memory
        if (fs::path(kv.first).extension() == ".cpp") cmd.push_back((work / kv.first).string());
    cmd.insert(cmd.end(), stub_cpp.begin(), stub_cpp.end());
    if (co.external_arena) cmd.push_back("-DKILN_ARENA_EXTERNAL");  // the harness passes an aligned arena
    for (const std::string& a : target->link_flags) cmd.push_back(expand(a));
    cmd.push_back("-o" + exe.string());
    ProcessResult build = run_process(cmd, 600);
    if (build.exit_code != 0)
        return fail(kExitBuildFailed, fmt::format("{}: generated code did not build ({}):\n{}", o.compile.model_path,
                                                  build.timed_out ? "timed out" : "exit " + std::to_string(build.exit_code),
                                                  build.output));
    // The harness's command line: natively with absolute paths; under an emulator from the work folder with
    // names relative to it (short enough for a semihosting command line).
    const bool emulated = !target->emulator.empty();
    auto run_command = [&](const std::vector<std::string>& files_args) {
        if (!emulated) {
            std::vector<std::string> v = {exe.string()};
            for (const std::string& f : files_args) v.push_back((work / f).string());
            return v;
        }
        std::vector<std::string> v;
        for (const std::string& a : target->emulator) {
            if (a == "{args}") {
                v.insert(v.end(), files_args.begin(), files_args.end());
            } else if (a == "{cmdline}") {
                v.push_back(fmt::format("{}", fmt::join(files_args, " ")));
            } else {
                v.push_back(a == "{exe}" ? "./harness" : a);
            }
        }
        return v;
    };

    std::vector<OutputResult> results;
    std::cout << fmt::format("check {} --target {}: {} data set(s), arena {} bytes, weights {} bytes\n",
                             o.compile.model_path, co.target, sets.size(), m->code.arena_bytes, m->code.weight_bytes);
    for (std::size_t s = 0; s < sets.size(); ++s) {
        std::string set_name = fs::path(sets[s]).filename().string();
        std::vector<std::string> args;
        for (std::size_t i = 0; i < inputs[s].size(); ++i) {
            fs::path p = work / fmt::format("in_{}.bin", i);
            as_model_dtype(inputs[s][i], g.value(g.inputs[i]).dtype);
            if (inputs[s][i].dtype() != g.value(g.inputs[i]).dtype || inputs[s][i].shape() != g.value(g.inputs[i]).shape)
                return fail(kExitUsage, fmt::format("{}: input {} is {}[{}] but the model was compiled for {}[{}]", sets[s], i,
                                                    dtype_name(inputs[s][i].dtype()), shape_str(inputs[s][i].shape()),
                                                    dtype_name(g.value(g.inputs[i]).dtype), shape_str(g.value(g.inputs[i]).shape)));
            if (!write_raw(inputs[s][i], p)) return fail(kExitIo, p.string() + ": cannot write");
            args.push_back(p.filename().string());
        }
        for (std::size_t i = 0; i < g.outputs.size(); ++i) {
            std::string out = fmt::format("out_{}.bin", i);
            fs::remove(work / out, ec);  // a run that fails to write it must not find the last set's
            args.push_back(out);
        }
        ProcessResult run = run_process(run_command(args), o.timeout_seconds, emulated ? work.string() : "");
        if (run.exit_code != 0)
            return fail(kExitBuildFailed, fmt::format("{}: generated code failed on {} ({}): {}", o.compile.model_path, set_name,
                                                      run.timed_out ? "timed out" : "exit " + std::to_string(run.exit_code),
                                                      run.output));
        if (expected[s].size() != g.outputs.size())
            return fail(kExitUsage, fmt::format("{}: {} expected outputs but the model has {}", sets[s], expected[s].size(),
                                                g.outputs.size()));
        for (std::size_t i = 0; i < g.outputs.size(); ++i) {
            const Value& v = g.value(g.outputs[i]);
            Tensor got(v.dtype, v.shape);
            if (!read_raw(got, work / fmt::format("out_{}.bin", i)))
                return fail(kExitBuildFailed, fmt::format("{}: output {} is missing", set_name, i));
            as_model_dtype(expected[s][i], v.dtype);
            OutputResult r{set_name, v.name, compare_tensors(got, expected[s][i], o.rtol, o.atol)};
            std::cout << fmt::format("  {} output {} '{}' {}[{}]: max abs error {:.3g}{} {}\n", set_name, i, v.name,
                                     dtype_name(v.dtype), shape_str(v.shape), r.cmp.max_abs_error,
                                     r.cmp.problem.empty() ? "" : " (" + r.cmp.problem + ")",
                                     r.cmp.match ? "OK" : fmt::format("MISMATCH ({} elements)", r.cmp.mismatches));
            results.push_back(std::move(r));
        }
    }
    write_reports(o, "", results);
    std::size_t bad = std::count_if(results.begin(), results.end(), [](const auto& r) { return !r.cmp.match; });
    if (bad) {
        std::cout << fmt::format("FAIL: {} of {} outputs differ (rtol {}, atol {})\n", bad, results.size(), o.rtol, o.atol);
        return kExitMismatch;
    }
    std::cout << fmt::format("PASS: {} outputs match (rtol {}, atol {})\n", results.size(), o.rtol, o.atol);
    return kExitOk;
}

}  // namespace kiln
