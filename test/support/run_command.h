// Runs a program (the kiln binary, a compiler) without a shell and captures stdout and stderr apart,
// so tests can assert on exit codes and on exactly what reaches the user's terminal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kiln {
namespace test {

struct CommandResult {
    int exit_code = -1;  // 128+N when killed by signal N
    std::string out;
    std::string err;
};

CommandResult run_command(const std::vector<std::string>& argv);
// run_command({KILN_BINARY, args...})
CommandResult run_kiln(const std::vector<std::string>& args);

// The host C++ compilers generated code is built with in tests: the build's compiler, and clang++ when found.
std::vector<std::string> host_compilers();

// Runs fn in a forked child whose address space is capped at limit_bytes and returns the child's exit
// code (fn's result; 128+N when a signal ended it, e.g. an allocation failure that aborted). Guards
// tests of hostile inputs: a regression that allocates what a model claims fails instead of eating memory.
int run_with_memory_limit(int (*fn)(), std::size_t limit_bytes);

// Number of '\n'-terminated lines in s (a trailing partial line counts as one).
int count_lines(const std::string& s);

}  // namespace test
}  // namespace kiln
