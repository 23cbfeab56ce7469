// Errors as values: every fallible step of the compiler returns Status or Expected<T>,
// carrying one line of context (file, node, op, what was expected). The driver picks the exit code.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace kiln {

class Status {
public:
    Status() = default;
    static Status ok() { return Status(); }
    static Status error(std::string message) {
        Status s;
        s.message_ = std::move(message);
        return s;
    }
    template <typename... Args>
    static Status errorf(fmt::format_string<Args...> f, Args&&... args) {
        return error(fmt::format(f, std::forward<Args>(args)...));
    }
    bool is_ok() const { return !message_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const std::string& message() const {
        static const std::string empty;
        return message_ ? *message_ : empty;
    }
    // Prefixes context ("file.onnx: ") so inner layers need not know where they were called from.
    Status with_prefix(const std::string& prefix) const {
        if (is_ok()) return *this;
        return error(prefix + *message_);
    }

private:
    std::optional<std::string> message_;
};

template <typename T>
class Expected {
public:
    Expected(T value) : value_(std::move(value)) {}
    Expected(Status status) : status_(std::move(status)) {}
    bool is_ok() const { return value_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const Status& status() const { return status_; }
    T& value() { return *value_; }
    const T& value() const { return *value_; }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() { return *value_; }
    const T& operator*() const { return *value_; }

private:
    std::optional<T> value_;
    Status status_;
};

// A message made safe for one terminal line: control and non-ASCII bytes from model strings become \xNN.
inline std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) out += char(c);
        else out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

}  // namespace kiln

#define KILN_TRY(expr)                                   \
    do {                                                 \
        ::kiln::Status kiln_try_status_ = (expr);        \
        if (!kiln_try_status_.is_ok()) return kiln_try_status_; \
    } while (0)
