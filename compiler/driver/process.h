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

// cwd: the child's working directory (empty: the caller's).
ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds, const std::string& cwd = "");

// True when `program` can be run: a path to an executable file, or a name found in $PATH.
bool program_exists(const std::string& program);

}  // namespace kiln
