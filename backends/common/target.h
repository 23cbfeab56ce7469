// Targets are data: name, what the generated code may assume, how it is built and run in tests.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct TargetInfo {
    std::string name;
    std::string description;
    std::size_t alignment;                 // arena and weight alignment in bytes
    std::vector<std::string> cxx_flags;    // flags `kiln check` builds generated code with
};

// nullptr when unknown.
const TargetInfo* find_target(const std::string& name);
std::vector<std::string> target_names();

}  // namespace kiln
