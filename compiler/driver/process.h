// Running the host compiler and the built harness: argv without a shell, output to a log file,
// a time limit so a miscompiled model cannot hang a CI run.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct ProcessResult {
    int exit_code = -1;  // -1 when it could not start; 128+N when killed by signal N
    bool timed_out = false;
    std::string output;  // stdout and stderr, truncated to the last 4 KiB
};

ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds);

}  // namespace kiln
