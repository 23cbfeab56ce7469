// Literal formatting and sanitizing of model strings for generated source.
#include "backends/common/c_literals.h"

#include <cmath>

#include <fmt/format.h>

namespace kiln {

namespace {
std::string with_point(std::string s) {
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
}
}  // namespace

std::string c_float(float v) {
    if (std::isnan(v)) return "NAN";
    if (std::isinf(v)) return v > 0 ? "HUGE_VALF" : "-HUGE_VALF";
    return with_point(fmt::format("{}", v)) + "f";
}

std::string c_double(double v) {
    if (std::isnan(v)) return "double(NAN)";
    if (std::isinf(v)) return v > 0 ? "HUGE_VAL" : "-HUGE_VAL";
    return with_point(fmt::format("{}", v));
}

std::string c_int(int64_t v) {
    if (v == INT64_MIN) return "(-INT64_C(9223372036854775807) - 1)";
    if (v > INT32_MAX || v < INT32_MIN) return fmt::format("INT64_C({})", v);
    return fmt::format("{}", v);
}

std::string c_element(const Tensor& t, int64_t i) {
    switch (t.dtype()) {
    case DType::Float32: return c_float(t.data<float>()[i]);
    case DType::Float64: return c_double(t.data<double>()[i]);
    case DType::Bool: return t.data<uint8_t>()[i] ? "true" : "false";
    case DType::UInt64: return fmt::format("UINT64_C({})", t.data<uint64_t>()[i]);
    case DType::UInt32: return fmt::format("{}u", t.data<uint32_t>()[i]);
    case DType::Float16:
    case DType::BFloat16: return fmt::format("{}", t.data<uint16_t>()[i]);
    default: return c_int(t.as_int64(i));
    }
}

std::string c_int_list(const std::vector<int64_t>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + c_int(v[i]);
    return s + "}";
}

std::string sanitize_identifier(const std::string& s, std::size_t max_len) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        char w = ok ? c : '_';
        if (w == '_' && (out.empty() || out.back() == '_')) continue;
        if (out.empty() && w >= '0' && w <= '9') out = "v";  // counted in max_len like any other character
        out += w;
        if (out.size() >= max_len) break;
    }
    if (out.size() > max_len) out.resize(max_len);
    while (!out.empty() && out.back() == '_') out.pop_back();
    if (out.empty()) out = "v";
    return out;
}

std::string sanitize_comment(const std::string& s, std::size_t max_len) {
    std::string out;
    const std::size_t keep = max_len > 3 && s.size() > max_len ? max_len - 3 : max_len;  // room for "..."
    for (char c : s) {
        if (out.size() >= keep) {
            if (max_len > 3) out += "...";
            break;
        }
        char w = (c >= 0x20 && c < 0x7f && c != '\\') ? c : '?';
        // Neither "*/" nor "/*" nor "//" may appear: they could end or nest the comment.
        if ((w == '/' || w == '*') && !out.empty() && (out.back() == '/' || out.back() == '*')) w = '_';
        out += w;
    }
    // Trailing characters that would glue onto the surrounding comment syntax.
    if (!out.empty() && (out.back() == '/' || out.back() == '*')) out.back() = '_';
    return out;
}

}  // namespace kiln
