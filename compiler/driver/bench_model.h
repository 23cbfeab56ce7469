// `kiln bench`: compile, build the generated code with the target's flags at -O3 and a timing harness
// (runtime-stubs/host/bench_harness.cpp), run it on seeded random inputs (or the inputs of a data set) and
// report min / median / mean latency and GFLOP/s; with --profile, per-layer times.
#pragma once

#include <string>

#include "driver/compile_model.h"

namespace kiln {

struct BenchOptions {
    CompileOptions compile;
    int runs = 50;
    int warmup = 5;
    std::string json_path;
    bool profile = false;
    std::string data;      // a data set folder (input_N.pb) or one holding test_data_set_*; empty: random inputs
    std::string cxx;       // host C++ compiler; empty: $CXX or c++
    std::string work_dir;  // keep the build files (and in_N.bin / out_N.bin of the last run) here
    int timeout_seconds = 600;
};

// Prints the report on stdout (errors on stderr, one line) and returns the exit code.
int run_bench(const BenchOptions& options);

// Seeded random input bytes for a value of this dtype and shape, the same on every machine: floats uniform in
// [-1, 1), integers uniform in [0, 10), bools a fair coin, other types zero. `seed` picks the stream.
Tensor bench_random_input(DType dtype, const Shape& shape, uint32_t seed);

}  // namespace kiln
