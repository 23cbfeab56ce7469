// `kiln check`: compile, build the generated code with the target's toolchain and the host harness,
// run it on ONNX test-data inputs and compare every output with the expected one.
#pragma once

#include <string>
#include <vector>

#include "driver/compile_model.h"

namespace kiln {

struct CheckOptions {
    CompileOptions compile;
    std::vector<std::string> data;  // test_data_set folders, or folders holding them; empty: beside the model
    double rtol = 1e-3;
    double atol = 1e-5;
    std::string junit_path;
    std::string json_path;
    std::string cxx;       // host C++ compiler; empty: $CXX or c++
    std::string work_dir;  // keep build files here; empty: a temporary folder removed afterwards
    int timeout_seconds = 120;
    // Inputs compiled in as constants with their value from the data (which must be the same in every set).
    std::vector<std::string> freeze;
    bool freeze_int_inputs = false;  // every integer and bool input (shape, axes, indices...)
};

// Prints a report on stdout (errors on stderr) and returns the exit code.
int run_check(const CheckOptions& options);

// The test_data_set folders under each given path (a path that holds input_*.pb is itself one).
std::vector<std::string> find_data_sets(const std::vector<std::string>& paths);
// input_*.pb / output_*.pb of one data set, in numeric order.
std::vector<std::string> data_files(const std::string& set_dir, const std::string& prefix);

}  // namespace kiln
