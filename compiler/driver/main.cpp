// The kiln command line: compile, check, inspect, run. Only this file decides exit codes and
// where messages go.
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "backends/common/target.h"
#include "driver/bench_model.h"
#include "driver/check_model.h"
#include "driver/compile_model.h"
#include "driver/exit_codes.h"
#include "driver/inspect_model.h"
#include "driver/report.h"

namespace {

using namespace kiln;

// --input-shape name=1x3x224x224 (repeatable)
bool parse_input_shapes(const std::vector<std::string>& specs, std::map<std::string, Shape>* out, std::string* err) {
    for (const std::string& s : specs) {
        auto eq = s.rfind('=');
        if (eq == std::string::npos || eq == 0) {
            *err = fmt::format("--input-shape '{}': expected NAME=DIMS, e.g. input=1x3x224x224", s);
            return false;
        }
        Expected<Shape> shape = parse_shape(s.substr(eq + 1));
        if (!shape) {
            *err = fmt::format("--input-shape '{}': {}", s, shape.status().message());
            return false;
        }
        (*out)[s.substr(0, eq)] = *shape;
    }
    return true;
}

void add_model_options(CLI::App* cmd, CompileOptions& o, std::vector<std::string>& shapes, bool with_target) {
    cmd->add_option("model", o.model_path, "ONNX model file")->required();
    if (with_target)
        cmd->add_option("--target,-t", o.target, "Target: " + fmt::format("{}", fmt::join(target_names(), ", ")))
            ->capture_default_str();
    cmd->add_option("--input-shape", shapes, "Bind an input's shape: NAME=1x3x224x224 (repeatable)");
    if (with_target)  // the commands that emit code
        cmd->add_option_function<std::string>(
               "--arena", [&o](const std::string& v) { o.external_arena = v == "external"; },
               "internal (a static arena in NAME.cpp, the default) or external (run() takes it)")
            ->check(CLI::IsMember({"internal", "external"}));
}

// Removes the reports a failed compile was asked to write, so none describes code that was not written.
void remove_reports(const std::vector<std::string>& paths) {
    std::error_code ec;
    for (const std::string& p : paths)
        if (std::filesystem::is_regular_file(p, ec)) std::filesystem::remove(p, ec);
}

}  // namespace

namespace {
int kiln_main(int argc, char** argv) {
    CLI::App app{"kiln: compiles ONNX models into dependency-free C++ with static buffers"};
    app.set_version_flag("--version", std::string("kiln ") + kKilnVersion);
    app.require_subcommand(1);

    CompileOptions copt;
    std::vector<std::string> shapes;
    std::string out_dir;
    auto* compile =
        app.add_subcommand("compile", "Compile a model into NAME.h, NAME.cpp (+ NAME-weights-K.cpp: large weights)");
    add_model_options(compile, copt, shapes, true);
    compile->add_option("--output,-o", out_dir, "Output folder")->required();
    compile->add_option("--name,-n", copt.name, "C++ namespace and file stem (default: from the model file name)");
    compile->add_flag("--print-ir", copt.print_ir, "Print the IR after all passes");
    std::vector<std::string> freeze_specs;
    compile->add_option("--freeze", freeze_specs,
                        "Compile an input in as a constant: NAME=FILE.pb (a serialized TensorProto; repeatable)");
    compile->add_option("--print-ir-after", copt.print_ir_after, "Print the IR after the named pass (or 'all')");
    bool print_ir_after_all = false;
    compile->add_flag("--print-ir-after-all", print_ir_after_all, "Print the IR after every pass (= --print-ir-after all)");
    std::vector<std::string> report_paths;
    compile->add_option("--report", report_paths,
                        "Write a report of the passes and the memory plan: FILE.json or FILE.html (an SVG of the "
                        "arena); give it twice for both")
        ->type_name("FILE")
        ->allow_extra_args(false);  // one FILE per --report, so a model path after it stays the model
    const char* weight_file_help = "Weights past this many bytes go to NAME-weights-K.cpp files of about this size";
    const char* weight_files_help =
        "Exactly N files NAME-weights-0..N-1.cpp, balanced by size (some may hold no weight); "
        "for build systems that need the list of outputs in advance";
    auto* bytes_opt = compile->add_option("--weight-file-bytes", copt.weight_file_bytes, weight_file_help)
                          ->capture_default_str();
    compile->add_option("--weight-files", copt.weight_files, weight_files_help)
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->excludes(bytes_opt);

    CheckOptions chk;
    std::vector<std::string> chk_shapes;
    auto* check = app.add_subcommand("check", "Compile, build and run the generated code, compare with expected outputs");
    add_model_options(check, chk.compile, chk_shapes, true);
    check->add_option("--data,-d", chk.data,
                      "Test data: a folder with input_N.pb/output_N.pb, or one holding test_data_set_* folders "
                      "(default: beside the model)");
    check->add_option("--rtol", chk.rtol, "Relative tolerance")->capture_default_str()->check(CLI::NonNegativeNumber);
    check->add_option("--atol", chk.atol, "Absolute tolerance")->capture_default_str()->check(CLI::NonNegativeNumber);
    check->add_option("--junit", chk.junit_path, "Write a JUnit XML report");
    check->add_option("--json", chk.json_path, "Write a JSON report");
    check->add_option("--cxx", chk.cxx, "C++ compiler (default: the target's cross compiler, else $CXX or c++)");
    check->add_option("--work-dir", chk.work_dir, "Keep generated code and build files here");
    check->add_option("--freeze", chk.freeze,
                      "Compile this input in as a constant with its value from the data (repeatable)");
    check->add_flag("--freeze-int-inputs", chk.freeze_int_inputs,
                    "Compile every integer and bool input in as a constant from the data (shape, axes, index inputs)");
    auto* chk_bytes_opt = check->add_option("--weight-file-bytes", chk.compile.weight_file_bytes, weight_file_help)
                              ->capture_default_str();
    check->add_option("--weight-files", chk.compile.weight_files, weight_files_help)
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->excludes(chk_bytes_opt);
    check->add_option("--timeout", chk.timeout_seconds, "Seconds a run of the generated code may take (under QEMU for cross targets)")
        ->capture_default_str()->check(CLI::PositiveNumber);

    BenchOptions bopt;
    std::vector<std::string> bshapes;
    auto* bench = app.add_subcommand(
        "bench", "Compile, build the generated code with the target's flags (-O3 where the target has no kernels of its "
        "own) and a timing harness, report latency and GFLOP/s");
    add_model_options(bench, bopt.compile, bshapes, true);
    bench->add_option("--runs", bopt.runs, "Timed runs")->capture_default_str()->check(CLI::PositiveNumber);
    bench->add_option("--warmup", bopt.warmup, "Untimed runs first")->capture_default_str()->check(CLI::NonNegativeNumber);
    bench->add_option("--json", bopt.json_path, "Write the results as JSON");
    bench->add_flag("--profile", bopt.profile, "Build with -DKILN_PROFILE and print per-layer times");
    bench->add_option("--data,-d", bopt.data,
                      "Inputs from a data set folder (input_N.pb, or the first test_data_set_*) instead of seeded "
                      "random ones");
    bench->add_option("--cxx", bopt.cxx, "C++ compiler (default: $CXX or c++)");
    bench->add_option("--work-dir", bopt.work_dir,
                      "Keep generated code, the harness and in_N.bin/out_N.bin (the last run's outputs) here");
    bench->add_option("--timeout", bopt.timeout_seconds, "Seconds all runs together may take")
        ->capture_default_str()->check(CLI::PositiveNumber);

    CompileOptions iopt;
    std::vector<std::string> ishapes;
    bool inspect_json = false;
    auto* inspect = app.add_subcommand(
        "inspect", "Print ops, shapes, MACs and the memory plan (arena, lower bound, naive, TFLM-style greedy)");
    add_model_options(inspect, iopt, ishapes, true);
    inspect->add_flag("--json", inspect_json, "Print the report as JSON (as compile --report FILE.json writes it)");

    RunOptions ropt;
    std::vector<std::string> rshapes;
    auto* run = app.add_subcommand("run", "Run the reference evaluator on input_N.pb files");
    add_model_options(run, ropt.compile, rshapes, false);
    run->add_option("--data,-d", ropt.data, "Folder with input_N.pb (and output_N.pb to compare with)")->required();
    run->add_option("--out", ropt.out_dir, "Write output_N.pb files here");
    run->add_option("--rtol", ropt.rtol, "Relative tolerance")->capture_default_str();
    run->add_option("--atol", ropt.atol, "Absolute tolerance")->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, like every other error (CLI11's own exit() adds a second line).
        std::cerr << "kiln: " << e.what() << " (see kiln --help)\n";
        return kExitUsage;
    }

    std::string err;
    if (!parse_input_shapes(shapes, &copt.input_shapes, &err) || !parse_input_shapes(chk_shapes, &chk.compile.input_shapes, &err) ||
        !parse_input_shapes(bshapes, &bopt.compile.input_shapes, &err) ||
        !parse_input_shapes(ishapes, &iopt.input_shapes, &err) || !parse_input_shapes(rshapes, &ropt.compile.input_shapes, &err)) {
        std::cerr << "kiln: " << printable(err) << "\n";
        return kExitUsage;
    }

    if (print_ir_after_all) {
        if (!copt.print_ir_after.empty() && copt.print_ir_after != "all") {
            std::cerr << "kiln compile: --print-ir-after-all and --print-ir-after " << printable(copt.print_ir_after)
                      << " contradict each other\n";
            return kExitUsage;
        }
        copt.print_ir_after = "all";
    }
    for (const std::string& path : report_paths) {
        Expected<std::string> format = report_format(path);
        if (!format) {
            std::cerr << "kiln compile: " << printable(format.status().message()) << "\n";
            return kExitUsage;
        }
    }

    for (const auto& [cmd, opts] : {std::make_pair(compile, &copt), std::make_pair(check, &chk.compile), std::make_pair(bench, &bopt.compile),
                                    std::make_pair(inspect, &iopt), std::make_pair(run, &ropt.compile)}) {
        if (!*cmd) continue;
        Status s = validate_compile_options(*opts);
        if (!s) {
            std::cerr << "kiln " << cmd->get_name() << ": " << s.message() << "\n";
            return kExitUsage;
        }
    }

    for (const std::string& spec : freeze_specs) {
        auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "kiln: --freeze '" << printable(spec) << "': expected NAME=FILE.pb\n";
            return kExitUsage;
        }
        Expected<Tensor> t = load_tensor_file(spec.substr(eq + 1));
        if (!t) {
            std::cerr << "kiln: --freeze: " << printable(t.status().message()) << "\n";
            return kExitUsage;
        }
        copt.frozen_inputs[spec.substr(0, eq)] = std::move(*t);
    }
    if (*compile) {
        auto log = [](const std::string& s) { std::cout << s; };
        Expected<CompiledModel> m = compile_model(copt, log);
        if (!m) {
            std::string name = copt.name.empty() ? default_model_name(copt.model_path) : copt.name;
            if (is_valid_model_name(name)) remove_generated(out_dir, name);
            remove_reports(report_paths);  // a report of an earlier compile would describe other code
            std::cerr << "kiln compile: " << printable(m.status().message()) << "\n";
            return kExitBadModel;
        }
        // The reference plan imports the model again: only when a report asks for it.
        std::optional<TflmReference> tflm;
        if (!report_paths.empty()) {
            Expected<TflmReference> t = plan_tflm_reference(copt);
            if (t)
                tflm = *t;
            else  // a reference number only: the report says null rather than failing a good compile
                std::cerr << "kiln compile: warning: no TFLM-style reference plan: " << printable(t.status().message())
                          << "\n";
        }
        Status s = write_files_atomically(out_dir, m->code.files);
        if (!s) {
            remove_generated(out_dir, m->name);
            remove_reports(report_paths);
            std::cerr << "kiln compile: " << printable(s.message()) << "\n";
            return kExitIo;
        }
        std::set<std::string> written;
        for (const auto& kv : m->code.files) written.insert(kv.first);
        remove_generated(out_dir, m->name, written);  // weight files an earlier compile split off
        if (!report_paths.empty()) {
            CompileReport report = build_report(*m, copt, tflm);
            for (const std::string& path : report_paths) {
                Status rs = write_report(report, path);
                if (!rs) {
                    std::cerr << "kiln compile: " << printable(rs.message()) << "\n";
                    return kExitIo;
                }
            }
        }
        std::string weight_files = written.size() > 2 ? fmt::format(" and {} weight files", written.size() - 2) : "";
        std::cout << fmt::format("kiln: wrote {}/{}.h and {}.cpp{} ({} layers, arena {} bytes, weights {} bytes)\n",
                                 out_dir, m->name, m->name, weight_files, m->graph.nodes.size(), m->code.arena_bytes,
                                 m->code.weight_bytes);
        for (const std::string& path : report_paths) std::cout << "kiln: wrote report " << printable(path) << "\n";
        return kExitOk;
    }
    if (*check) return run_check(chk);
    if (*bench) return run_bench(bopt);
    if (*inspect) return run_inspect(iopt, inspect_json);
    if (*run) return run_reference(ropt);
    return kExitUsage;
}
}  // namespace

int main(int argc, char** argv) {
    // Errors are values inside Kiln; this only turns a library failure (out of memory on a hostile model,
    // a protobuf or filesystem exception) into one line and an exit code instead of an abort.
    try {
        return kiln_main(argc, argv);
    } catch (const std::bad_alloc&) {
        std::cerr << "kiln: out of memory (is a shape or --input-shape unreasonably large?)\n";
    } catch (const std::exception& e) {
        std::cerr << "kiln: internal error: " << e.what() << "\n";
    }
    return kExitBadModel;
}
