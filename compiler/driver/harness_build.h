// What `kiln check` and `kiln bench` share to build generated code with a host harness: the scratch folder
// and the harness sources (the harness .cpp and the raw-file I/O header it includes).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "diag/status.h"

namespace kiln {

// The folder the user gave (kept afterwards), or a fresh one in the temporary directory, removed with this object.
class WorkDir {
public:
    WorkDir(const std::string& given, const std::string& prefix);
    ~WorkDir();
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    bool temporary_;
};

// Adds runtime-stubs/host/NAME (as NAME) and the header it includes to the files to write.
Status add_host_harness(std::map<std::string, std::string>& files, const std::string& name);

}  // namespace kiln
