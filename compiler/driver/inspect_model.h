// `kiln inspect` and `kiln run`: what a model contains after the passes, and its reference outputs.
#pragma once

#include <string>
#include <vector>

#include "driver/compile_model.h"

namespace kiln {

// Prints the compile report's summary (report.h: ops, shapes, MACs, the memory plan against its lower bound,
// the naive and TFLM-style numbers), or with json the report as JSON; returns the exit code.
int run_inspect(const CompileOptions& options, bool json = false);

struct RunOptions {
    CompileOptions compile;
    std::string data;     // a test_data_set folder with input_N.pb (and optionally output_N.pb)
    std::string out_dir;  // where to write output_N.pb; empty: do not write
    double rtol = 1e-3;
    double atol = 1e-5;
};

// Runs the reference evaluator; compares with output_N.pb when present.
int run_reference(const RunOptions& options);

}  // namespace kiln
