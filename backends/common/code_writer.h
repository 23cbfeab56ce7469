// Indented source text with scoped blocks: every emitter writes through this, never by splicing tabs.
#pragma once

#include <string>
#include <utility>

#include <fmt/format.h>

namespace kiln {

class CodeWriter {
public:
    template <typename... Args>
    void line(fmt::format_string<Args...> f, Args&&... args) {
        put(fmt::format(f, std::forward<Args>(args)...));
    }
    // Without arguments the text is taken literally (braces need no escaping).
    void line(const char* s) { put(s); }
    void raw_line(const std::string& s) { put(s); }
    void blank() {
        if (!text_.empty() && text_.compare(text_.size() - 2 < text_.size() ? text_.size() - 2 : 0, 2, "\n\n") != 0)
            text_ += "\n";
    }
    // "head {" ... "}tail"
    void open(const std::string& head) {
        put(head + " {");
        ++depth_;
    }
    void close(const std::string& tail = "") {
        --depth_;
        put("}" + tail);
    }
    // Appends pre-formatted lines, each indented to the current depth.
    void block(const std::string& text) {
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t nl = text.find('\n', pos);
            put(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
    }
    // Appends pre-formatted text verbatim (kernel sources).
    void verbatim(const std::string& s) {
        text_ += s;
        if (!s.empty() && s.back() != '\n') text_ += "\n";
    }
    const std::string& str() const { return text_; }

private:
    void put(const std::string& s) {
        if (!s.empty()) text_.append(std::size_t(depth_) * 4, ' ');
        text_ += s;
        text_ += "\n";
    }
    std::string text_;
    int depth_ = 0;
};

}  // namespace kiln
