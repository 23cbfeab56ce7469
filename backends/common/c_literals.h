// Turning model data and names into C++ source text: literals that round-trip exactly, and
// identifiers/comments that no model string can break out of.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace kiln {

// Shortest text that reads back to the same float ("0.1f", "1.0f", "-HUGE_VALF", "NAN").
std::string c_float(float v);
std::string c_double(double v);
// Integer literal valid for the given dtype (INT64_MIN written as an expression).
std::string c_int(int64_t v);
// Element i of t as a literal of t's C type.
std::string c_element(const Tensor& t, int64_t i);
// "{1, 2, 3}"
std::string c_int_list(const std::vector<int64_t>& v);

// [A-Za-z0-9_] only, never starting with a digit, no double underscores, at most max_len chars.
std::string sanitize_identifier(const std::string& s, std::size_t max_len = 40);
// Printable ASCII only, no comment terminators or line breaks, at most max_len chars.
std::string sanitize_comment(const std::string& s, std::size_t max_len = 80);

}  // namespace kiln
