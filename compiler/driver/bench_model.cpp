// kiln bench: build the generated code with a timing harness, run it, report latency and GFLOP/s.
#include "driver/bench_model.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends/common/target.h"
#include "driver/check_model.h"
#include "driver/exit_codes.h"
#include "driver/harness_build.h"
#include "driver/process.h"
#include "ops/registry.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {

std::string op_label(const Node& n) {
    if (n.domain.empty() || n.domain == "ai.onnx") return n.op_type;
    return n.domain + "." + n.op_type;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Layer {
    int index;
    std::string name, op, shape;
    int64_t macs;
    double ms;  // median over runs
};

}  // namespace

Tensor bench_random_input(DType dtype, const Shape& shape, uint32_t seed) {
    Tensor t(dtype, shape);
    std::mt19937 rng(seed);  // mt19937's stream is fixed by the standard; the mapping below is ours
    const int64_t n = t.numel();
    auto unit = [&] { return double(rng() >> 8) * (1.0 / 16777216.0); };  // [0, 1), 24 bits
    auto fill = [&](auto* p, auto gen) {
        for (int64_t i = 0; i < n; ++i) p[i] = gen();
    };
    switch (dtype) {
    case DType::Float32: fill(reinterpret_cast<float*>(t.raw()), [&] { return float(2 * unit() - 1); }); break;
    case DType::Float64: fill(reinterpret_cast<double*>(t.raw()), [&] { return 2 * unit() - 1; }); break;
    case DType::Int8: fill(reinterpret_cast<int8_t*>(t.raw()), [&] { return int8_t(rng() % 10); }); break;
    case DType::UInt8: fill(reinterpret_cast<uint8_t*>(t.raw()), [&] { return uint8_t(rng() % 10); }); break;
    case DType::Int16: fill(reinterpret_cast<int16_t*>(t.raw()), [&] { return int16_t(rng() % 10); }); break;
    case DType::UInt16: fill(reinterpret_cast<uint16_t*>(t.raw()), [&] { return uint16_t(rng() % 10); }); break;
    case DType::Int32: fill(reinterpret_cast<int32_t*>(t.raw()), [&] { return int32_t(rng() % 10); }); break;
    case DType::UInt32: fill(reinterpret_cast<uint32_t*>(t.raw()), [&] { return uint32_t(rng() % 10); }); break;
    case DType::Int64: fill(reinterpret_cast<int64_t*>(t.raw()), [&] { return int64_t(rng() % 10); }); break;
    case DType::UInt64: fill(reinterpret_cast<uint64_t*>(t.raw()), [&] { return uint64_t(rng() % 10); }); break;
    case DType::Bool: fill(reinterpret_cast<uint8_t*>(t.raw()), [&] { return uint8_t(rng() & 1); }); break;
    default: break;  // float16/bfloat16 bit patterns: zeros
    }
    return t;
}

int run_bench(const BenchOptions& o) {
    auto fail = [&](int code, const std::string& msg) {
        auto nl = msg.find('\n');
        std::cerr << "kiln bench: " << printable(msg.substr(0, nl)) << "\n";
        if (nl != std::string::npos) std::cerr << msg.substr(nl + 1) << "\n";
        return code;
    };
    if (o.runs < 1) return fail(kExitUsage, "--runs must be at least 1");
    if (o.warmup < 0) return fail(kExitUsage, "--warmup must not be negative");
    const TargetInfo* target = find_target(o.compile.target);
    if (!target) return fail(kExitUsage, fmt::format("unknown target '{}'", o.compile.target));
    if (!target->emulator.empty() || !target->compiler.empty())
        return fail(kExitUsage, fmt::format("target {} is a cross target: its code would run under an emulator, whose "
                                            "timing says nothing about the hardware; bench a host target (portable, x86-avx2, x86-avx512)",
                                            target->name));
    const std::vector<std::string> missing = missing_cpu_features(*target);
    if (!missing.empty())
        return fail(kExitUsage, fmt::format("target {}: this CPU lacks {}", target->name, fmt::join(missing, ", ")));

    // Inputs: the first data set's, when given (they also bind the shapes), else seeded random ones.
    CompileOptions co = o.compile;
    std::vector<Tensor> data_inputs;
    if (!o.data.empty()) {
        std::vector<std::string> sets = find_data_sets({o.data});
        if (sets.empty()) return fail(kExitUsage, fmt::format("no input_N.pb or test_data_set_* folders in {}", o.data));
        Expected<std::vector<std::string>> names = model_input_names(co.model_path);
        if (!names) return fail(kExitBadModel, names.status().message());
        for (const std::string& f : data_files(sets[0], "input")) {
            Expected<Tensor> t = load_tensor_file(f);
            if (!t) return fail(kExitUsage, t.status().message());
            data_inputs.push_back(std::move(*t));
        }
        if (data_inputs.size() != names->size())
            return fail(kExitUsage, fmt::format("{}: {} input files but the model has {} inputs", sets[0],
                                                data_inputs.size(), names->size()));
        for (std::size_t i = 0; i < names->size(); ++i)
            if (!co.input_shapes.count((*names)[i])) co.input_shapes[(*names)[i]] = data_inputs[i].shape();
    }
    Expected<CompiledModel> m = compile_model(co, [](const std::string& s) { std::cout << s; });
    if (!m) return fail(kExitBadModel, m.status().message());
    const Graph& g = m->graph;

    std::vector<Tensor> inputs;
    for (std::size_t i = 0; i < g.inputs.size(); ++i) {
        const Value& v = g.value(g.inputs[i]);
        if (!data_inputs.empty()) {
            if (data_inputs[i].dtype() != v.dtype || data_inputs[i].shape() != v.shape)
                return fail(kExitUsage, fmt::format("input {} is {}[{}] but the model was compiled for {}[{}]", i,
                                                    dtype_name(data_inputs[i].dtype()), shape_str(data_inputs[i].shape()),
                                                    dtype_name(v.dtype), shape_str(v.shape)));
            inputs.push_back(data_inputs[i]);
        } else {
            inputs.push_back(bench_random_input(v.dtype, v.shape, uint32_t(1 + i)));
        }
    }

    const WorkDir scratch(o.work_dir, "kiln-bench");
    const fs::path& work = scratch.path();
    std::map<std::string, std::string> files = m->code.files;
    Status stub = add_host_harness(files, "bench_harness.cpp");
    if (!stub) return fail(kExitIo, stub.message());
    Status w = write_files_atomically(work.string(), files);
    if (!w) return fail(kExitIo, w.message());

    std::string cxx = o.cxx;
    if (cxx.empty()) cxx = std::getenv("CXX") ? std::getenv("CXX") : "c++";
    if (!program_exists(cxx)) return fail(kExitBuildFailed, fmt::format("C++ compiler '{}' is not installed or not in PATH", cxx));
    // The target's flags (then -O3 for the portable kernels; the x86 targets' flags already choose their
    // optimization level): printed below, nothing else is added but the harness's defines.
    std::vector<std::string> flags = target->cxx_flags;
    if (target->isa.empty()) flags.push_back("-O3");
    if (o.profile) flags.push_back("-DKILN_PROFILE");
    std::vector<std::string> cmd = {cxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic"};
    cmd.insert(cmd.end(), flags.begin(), flags.end());
    fs::path exe = work / "bench";
    for (const std::string& a : {"-I" + work.string(), "-DKILN_MODEL_HEADER=\"" + m->name + ".h\"",
                                 "-DKILN_NS=" + m->name, fmt::format("-DKILN_BENCH_LAYERS={}", g.nodes.size())})
        cmd.push_back(a);
    if (co.external_arena) cmd.push_back("-DKILN_ARENA_EXTERNAL");
    for (const auto& kv : files)
        if (fs::path(kv.first).extension() == ".cpp") cmd.push_back((work / kv.first).string());
    cmd.push_back("-o" + exe.string());
    ProcessResult build = run_process(cmd, 1200);
    if (build.exit_code != 0)
        return fail(kExitBuildFailed, fmt::format("{}: generated code did not build ({}):\n{}", co.model_path,
                                                  build.timed_out ? "timed out" : "exit " + std::to_string(build.exit_code),
                                                  build.output));

    std::vector<std::string> run = {exe.string(), (work / "times.txt").string(), std::to_string(o.runs),
                                    std::to_string(o.warmup)};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        fs::path p = work / fmt::format("in_{}.bin", i);
        std::ofstream out(p, std::ios::binary);
        out.write(reinterpret_cast<const char*>(inputs[i].raw()), std::streamsize(inputs[i].nbytes()));
        if (!out) return fail(kExitIo, p.string() + ": cannot write");
        run.push_back(p.string());
    }
    for (std::size_t i = 0; i < g.outputs.size(); ++i) run.push_back((work / fmt::format("out_{}.bin", i)).string());
    ProcessResult ran = run_process(run, o.timeout_seconds);
    if (ran.exit_code != 0)
        return fail(kExitBuildFailed, fmt::format("{}: generated code failed ({}): {}", co.model_path,
                                                  ran.timed_out ? "timed out" : "exit " + std::to_string(ran.exit_code),
                                                  ran.output));

    // times.txt: per run, the total ns and (with --profile) each layer's.
    std::vector<double> total_ms;
    std::vector<std::vector<double>> layer_ms(g.nodes.size());
    {
        std::ifstream in(work / "times.txt");
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            long long ns = 0;
            if (!(ls >> ns)) continue;
            total_ms.push_back(double(ns) * 1e-6);
            for (std::size_t l = 0; o.profile && l < g.nodes.size() && (ls >> ns); ++l) layer_ms[l].push_back(double(ns) * 1e-6);
        }
    }
    if (int(total_ms.size()) != o.runs)
        return fail(kExitBuildFailed, fmt::format("the harness reported {} runs, expected {}", total_ms.size(), o.runs));

    int64_t macs = 0;
    std::vector<Layer> layers;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        const OpSchema* op = find_op(n.domain, n.op_type);
        NodeCtx c(g, n);
        Layer l{int(i), n.name, op_label(n), "", op && op->macs ? op->macs(c) : 0, 0.0};
        if (!n.outputs.empty() && n.outputs[0] != kNoValue) l.shape = shape_str(g.value(n.outputs[0]).shape);
        if (o.profile) l.ms = median(layer_ms[i]);
        macs += l.macs;
        layers.push_back(std::move(l));
    }
    const double min_ms = *std::min_element(total_ms.begin(), total_ms.end());
    const double median_ms = median(total_ms);
    const double mean_ms = std::accumulate(total_ms.begin(), total_ms.end(), 0.0) / double(total_ms.size());
    auto gflops = [](int64_t n, double ms) { return ms > 0 ? 2.0 * double(n) / (ms * 1e6) : 0.0; };

    std::cout << fmt::format("bench {} --target {}: {} layers, {} MACs, {} runs after {} warmup\n", co.model_path,
                             target->name, g.nodes.size(), macs, o.runs, o.warmup);
    std::cout << fmt::format("  built with: {} -std=c++14 {}\n", cxx, fmt::join(flags, " "));
    std::cout << fmt::format("  inputs: {}\n", data_inputs.empty() ? "seeded random" : "from " + o.data);
    if (o.profile) {
        double sum = 0;
        for (const Layer& l : layers) sum += l.ms;
        std::cout << fmt::format("\n{:>5}  {:<32} {:<22} {:<18} {:>12} {:>9} {:>8} {:>6}\n", "layer", "name", "op",
                                 "output", "MACs", "ms", "GFLOP/s", "%");
        for (const Layer& l : layers)
            std::cout << fmt::format("{:>5}  {:<32} {:<22} {:<18} {:>12} {:>9.4f} {:>8.2f} {:>6.1f}\n", l.index,
                                     printable(l.name).substr(0, 32), l.op.substr(0, 22), l.shape.substr(0, 18), l.macs,
                                     l.ms, gflops(l.macs, l.ms), sum > 0 ? 100.0 * l.ms / sum : 0.0);
        std::cout << fmt::format("  sum of layer medians {:.4f} ms (the profile hooks add a little to each run)\n\n", sum);
    }
    std::cout << fmt::format("latency ms: min {:.4f}  median {:.4f}  mean {:.4f}\n", min_ms, median_ms, mean_ms);
    std::cout << fmt::format("throughput: {:.3f} GFLOP/s (2 x {} MACs / median)\n", gflops(macs, median_ms), macs);

    if (!o.json_path.empty()) {
        nlohmann::json j;
        j["model"] = co.model_path;
        j["target"] = target->name;
        j["compiler"] = cxx;
        j["flags"] = flags;
        j["runs"] = o.runs;
        j["warmup"] = o.warmup;
        j["inputs"] = data_inputs.empty() ? "random" : o.data;
        j["layers"] = g.nodes.size();
        j["macs"] = macs;
        j["min_ms"] = min_ms;
        j["median_ms"] = median_ms;
        j["mean_ms"] = mean_ms;
        j["gflops"] = gflops(macs, median_ms);
        j["times_ms"] = total_ms;
        j["profile"] = o.profile;
        if (o.profile) {
            j["per_layer"] = nlohmann::json::array();
            for (const Layer& l : layers)
                j["per_layer"].push_back({{"index", l.index}, {"name", l.name}, {"op", l.op}, {"shape", l.shape},
                                          {"macs", l.macs}, {"ms", l.ms}, {"gflops", gflops(l.macs, l.ms)}});
        }
        std::ofstream out(o.json_path);
        out << j.dump(2) << "\n";
        if (!out) return fail(kExitIo, o.json_path + ": cannot write");
    }
    return kExitOk;
}

}  // namespace kiln
