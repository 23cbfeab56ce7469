// Writes the generated sources of a planned graph: NAME.h (the API and I/O constants) and NAME.cpp
// (kernels, weights, arena, run()). Analysis is finished before this runs.
#pragma once

#include <map>
#include <string>

#include "backends/common/target.h"
#include "diag/status.h"
#include "ir/graph.h"
#include "passes/plan_memory.h"

namespace kiln {

struct EmitOptions {
    std::string name;         // C++ namespace and file stem; a valid identifier
    std::string model_label;  // model file name, for the header comment
    const TargetInfo* target;
};

struct GeneratedCode {
    std::map<std::string, std::string> files;  // file name -> contents
    std::size_t arena_bytes = 0;
    std::size_t weight_bytes = 0;
};

Expected<GeneratedCode> emit_module(const Graph& g, const MemoryPlan& plan, const EmitOptions& options);

// Kiln's version, written into generated headers and printed by --version.
extern const char* const kKilnVersion;

}  // namespace kiln
