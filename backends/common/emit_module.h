// Writes the generated sources of a planned graph: NAME.h (the API and I/O constants) and NAME.cpp
// (kernels, weights, arena, run()); large weights go to NAME-weights-K.cpp files beside them. Analysis is
// finished before this runs.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "backends/common/target.h"
#include "diag/status.h"
#include "ir/graph.h"
#include "passes/plan_memory.h"

namespace kiln {

// Weights up to this many bytes stay in NAME.cpp; more go to NAME-weights-0.cpp, NAME-weights-1.cpp... of
// about this size each (a tensor is never split). A C++ front end needs some 300 bytes of memory and a few
// microseconds per array element it parses, whatever the literal's spelling (g++ 12: 3.7 GB and 47 s for
// ResNet-18's 11.7M weights in one file), so separate files bound a build's peak memory, let a parallel
// build compile them side by side, and spare recompiling them when only the schedule changes.
constexpr std::size_t kDefaultWeightFileBytes = std::size_t(4) << 20;

struct EmitOptions {
    std::string name;         // C++ namespace and file stem; a valid identifier
    std::string model_label;  // model file name, for the header comment
    const TargetInfo* target;
    std::size_t weight_file_bytes = kDefaultWeightFileBytes;
    // --weight-files N (N > 0): exactly N files NAME-weights-0..N-1.cpp, whatever the weights' size, so a
    // build system knows the outputs in advance; weight_file_bytes is then unused. Tensors go largest first
    // to the file with the fewest bytes so far (files balanced by size); a file left without a tensor still
    // exists and holds only a comment.
    std::size_t weight_files = 0;
    // --arena external: run() takes the arena as its first parameter instead of using a static one.
    bool external_arena = false;
};

struct GeneratedCode {
    std::map<std::string, std::string> files;  // file name -> contents; every .cpp file is part of the model
    std::size_t arena_bytes = 0;
    std::size_t weight_bytes = 0;
};

Expected<GeneratedCode> emit_module(const Graph& g, const MemoryPlan& plan, const EmitOptions& options);

// Kiln's version, written into generated headers and printed by --version.
extern const char* const kKilnVersion;

}  // namespace kiln
