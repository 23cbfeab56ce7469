// fork/exec with a deadline (POSIX hosts).
#include "driver/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace kiln {

ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds, const std::string& cwd) {
    ProcessResult r;
    char log_path[] = "/tmp/kiln-proc-XXXXXX";
    int log_fd = mkstemp(log_path);
    if (log_fd < 0) return r;
    pid_t pid = fork();
    if (pid < 0) {
        close(log_fd);
        unlink(log_path);
        return r;
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
            std::fprintf(stderr, "cannot change to %s\n", cwd.c_str());
            _exit(127);
        }
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        std::fprintf(stderr, "cannot run %s\n", args[0]);
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    int status = 0;
    auto sleep_for = std::chrono::milliseconds(1);
    while (true) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            r.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(sleep_for);
        if (sleep_for < std::chrono::milliseconds(20)) sleep_for *= 2;
    }
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
    off_t size = lseek(log_fd, 0, SEEK_END);
    off_t start = size > 4096 ? size - 4096 : 0;
    lseek(log_fd, start, SEEK_SET);
    r.output.resize(std::size_t(size - start));
    ssize_t got = r.output.empty() ? 0 : read(log_fd, r.output.data(), r.output.size());
    r.output.resize(got > 0 ? std::size_t(got) : 0);
    close(log_fd);
    unlink(log_path);
    return r;
}

bool program_exists(const std::string& program) {
    if (program.empty()) return false;
    if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = end > start ? dirs.substr(start, end - start) : ".";
        if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace kiln
