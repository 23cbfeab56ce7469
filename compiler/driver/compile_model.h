// The compile flow shared by `kiln compile`, `kiln check` and `kiln bench`: import, passes, memory plan,
// emission, and writing the sources so that a failure never leaves half-written files behind.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "backends/common/emit_module.h"
#include "diag/status.h"
#include "frontend/onnx_import.h"
#include "ir/graph.h"
#include "passes/plan_memory.h"

namespace kiln {

struct CompileOptions {
    std::string model_path;
    std::string target = "portable";
    std::string name;  // empty: from the model file name
    std::map<std::string, Shape> input_shapes;
    std::map<std::string, Tensor> frozen_inputs;  // inputs compiled in as constants
    std::string print_ir_after;  // pass name, or "all"
    bool print_ir = false;       // the final IR
    std::size_t weight_file_bytes = kDefaultWeightFileBytes;  // see emit_module.h
    std::size_t weight_files = 0;  // --weight-files N: exactly N weight files (0: by weight_file_bytes)
    bool external_arena = false;  // --arena external: run() takes the arena (see emit_module.h)
};

struct CompiledModel {
    Graph graph;  // after all passes
    MemoryPlan plan;
    GeneratedCode code;
    std::string name;
};

// Checks the flags that are wrong whatever the model (target, --name, --print-ir-after): the driver reports
// these as usage errors before reading the model. compile_model() checks them too.
Status validate_compile_options(const CompileOptions& options);

// Messages meant for the user's terminal (IR dumps) go to `log`.
Expected<CompiledModel> compile_model(const CompileOptions& options, const std::function<void(const std::string&)>& log);

// Writes files into dir (created if needed) through a temporary folder beside it, renaming each into
// place only once all are written. On failure nothing is left half-written.
Status write_files_atomically(const std::string& dir, const std::map<std::string, std::string>& files);
// Removes the files a compile of `name` writes (NAME.h, NAME.cpp, NAME-weights-K.cpp) except those in `keep`:
// a failed compile leaves no stale sources behind, a successful one no weight files of an earlier compile.
void remove_generated(const std::string& dir, const std::string& name, const std::set<std::string>& keep = {});

// A C++ identifier usable as a namespace: letters, digits, _; not a keyword.
bool is_valid_model_name(const std::string& name);
std::string default_model_name(const std::string& model_path);

}  // namespace kiln
