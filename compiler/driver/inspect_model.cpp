// inspect and run commands.
#include "driver/inspect_model.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "driver/check_model.h"
#include "driver/compare.h"
#include "driver/exit_codes.h"
#include "driver/report.h"
#include "eval/evaluator.h"
#include "ops/registry.h"

namespace kiln {

namespace fs = std::filesystem;

int run_inspect(const CompileOptions& o, bool json) {
    // With --json only the JSON reaches stdout, so it parses; IR dumps are not requested by inspect.
    Expected<CompiledModel> m = compile_model(o, [](const std::string& s) { std::cout << s; });
    if (!m) {
        std::cerr << "kiln inspect: " << printable(m.status().message()) << "\n";
        return kExitBadModel;
    }
    Expected<TflmReference> tflm = plan_tflm_reference(o);
    if (!tflm)
        std::cerr << "kiln inspect: warning: no TFLM-style reference plan: " << printable(tflm.status().message())
                  << "\n";
    CompileReport r = build_report(*m, o, tflm ? std::optional<TflmReference>(*tflm) : std::nullopt);
    std::cout << (json ? report_json(r) : report_text(r));
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
