// Scratch folders and harness sources for check and bench.
#include "driver/harness_build.h"

#include <random>

#include "backends/common/kernel_sources.h"

namespace kiln {

namespace fs = std::filesystem;

WorkDir::WorkDir(const std::string& given, const std::string& prefix) : path_(given), temporary_(given.empty()) {
    if (temporary_) {
        std::random_device rd;
        path_ = fs::temp_directory_path() / fmt::format("{}-{:08x}", prefix, rd());
    }
}

WorkDir::~WorkDir() {
    std::error_code ec;
    if (temporary_) fs::remove_all(path_, ec);
}

Status add_host_harness(std::map<std::string, std::string>& files, const std::string& name) {
    for (const std::string& f : {name, std::string("harness_io.h")}) {
        const char* text = find_runtime_stub("host/" + f);
        if (!text) return Status::errorf("runtime stub host/{} is not built into kiln", f);
        files[f] = text;
    }
    return Status::ok();
}

}  // namespace kiln
