// fork/exec with stdout and stderr redirected to files of a temporary folder.
#include "support/run_command.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "support/temp_dir.h"

namespace kiln {
namespace test {

CommandResult run_command(const std::vector<std::string>& argv) {
    TempDir tmp;
    std::string out_path = tmp.file("stdout"), err_path = tmp.file("stderr");
    CommandResult r;
    pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0) _exit(126);
        dup2(out, 1);
        dup2(err, 2);
        dup2(in, 0);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
    r.out = read_text_file(out_path);
    r.err = read_text_file(err_path);
    return r;
}

CommandResult run_kiln(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {KILN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

int run_with_memory_limit(int (*fn)(), std::size_t limit_bytes) {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        rlimit lim{limit_bytes, limit_bytes};
        setrlimit(RLIMIT_AS, &lim);
        int code = 125;
        try {  // nothing may unwind into the test framework's copy in this child
            code = fn();
        } catch (...) {
            code = 124;
        }
        _exit(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    if (!s.empty() && s.back() != '\n') ++n;
    return n;
}

std::vector<std::string> host_compilers() {
    std::vector<std::string> c = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) c.push_back(KILN_TEST_CLANGXX);
    return c;
}

}  // namespace test
}  // namespace kiln
