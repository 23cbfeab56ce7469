// The target table.
#include "backends/common/target.h"

namespace kiln {

namespace {
const std::vector<TargetInfo>& targets() {
    static const std::vector<TargetInfo> t = {
        {"portable", "plain C++14 for any compiler and CPU", 16, {"-O2"}},
    };
    return t;
}
}  // namespace

const TargetInfo* find_target(const std::string& name) {
    for (const TargetInfo& t : targets())
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<std::string> target_names() {
    std::vector<std::string> v;
    for (const TargetInfo& t : targets()) v.push_back(t.name);
    return v;
}

}  // namespace kiln
