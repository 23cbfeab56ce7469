// Resolves `#include "..."` between embedded kernel headers and concatenates them once each,
// dependencies first; system includes are collected so the generated file includes them at the top.
#include <filesystem>
#include <map>
#include <sstream>

#include "backends/common/kernel_sources.h"

namespace kiln {

namespace {

// "portable/common.h" <-> "portable/kernels/common.h"
std::string to_path(const std::string& name) {
    auto slash = name.find('/');
    return name.substr(0, slash) + "/kernels" + name.substr(slash);
}
std::string to_name(const std::string& path) {
    const std::string k = "/kernels/";
    auto at = path.find(k);
    return at == std::string::npos ? path : path.substr(0, at) + "/" + path.substr(at + k.size());
}

class Bundler {
public:
    Bundler() {
        for (const EmbeddedFile& k : kernel_sources()) by_name_[k.name] = k.text;
    }
    Status add(const std::string& name) {
        if (done_.count(name)) return Status::ok();
        if (active_.count(name)) return Status::errorf("kernel header '{}' includes itself", name);
        auto it = by_name_.find(name);
        if (it == by_name_.end()) return Status::errorf("internal: no embedded kernel header '{}'", name);
        active_.insert(name);
        std::istringstream in(it->second);
        std::string line, body;
        while (std::getline(in, line)) {
            if (line.rfind("#pragma once", 0) == 0) continue;
            if (line.rfind("#include <", 0) == 0) {
                out_.system_includes.insert(line.substr(9));
                continue;
            }
            if (line.rfind("#include \"", 0) == 0) {
                std::string rel = line.substr(10, line.find('"', 10) - 10);
                std::filesystem::path p = std::filesystem::path(to_path(name)).parent_path() / rel;
                KILN_TRY(add(to_name(p.lexically_normal().generic_string())));
                continue;
            }
            body += line + "\n";
        }
        active_.erase(name);
        done_.insert(name);
        out_.body += "// ---- kernel " + name + " ----\n" + body;
        return Status::ok();
    }
    KernelBundle take() { return std::move(out_); }

private:
    std::map<std::string, const char*> by_name_;
    std::set<std::string> done_, active_;
    KernelBundle out_;
};

}  // namespace

const char* find_runtime_stub(const std::string& name) {
    for (const EmbeddedFile& f : runtime_stub_sources())
        if (name == f.name) return f.text;
    return nullptr;
}

Expected<KernelBundle> bundle_kernels(const std::set<std::string>& names) {
    Bundler b;
    for (const std::string& n : names) KILN_TRY(b.add(n));
    return b.take();
}

}  // namespace kiln
