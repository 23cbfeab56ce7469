// Comparison, boolean and selection functors for the elementwise maps of elementwise.h.
#pragma once

#include <cmath>
#include <cstdint>

#include "elementwise.h"

namespace kiln {
namespace kernels {

struct Equal {
    template <typename T> bool operator()(T a, T b) const { return a == b; }
};
struct Less {
    template <typename T> bool operator()(T a, T b) const { return a < b; }
};
struct LessOrEqual {
    template <typename T> bool operator()(T a, T b) const { return a <= b; }
};
struct Greater {
    template <typename T> bool operator()(T a, T b) const { return a > b; }
};
struct GreaterOrEqual {
    template <typename T> bool operator()(T a, T b) const { return a >= b; }
};

struct And {
    bool operator()(bool a, bool b) const { return a && b; }
};
struct Or {
    bool operator()(bool a, bool b) const { return a || b; }
};
struct Xor {
    bool operator()(bool a, bool b) const { return a != b; }
};
struct Not {
    bool operator()(bool a) const { return !a; }
};

struct IsNaN {
    template <typename T> bool operator()(T x) const { return std::isnan(x); }
};
struct IsInf {
    bool detect_positive, detect_negative;
    template <typename T> bool operator()(T x) const {
        return std::isinf(x) && (x > T(0) ? detect_positive : detect_negative);
    }
};

// Where: condition ? x : y (ternary's first operand is the condition).
struct Select {
    template <typename T> T operator()(bool c, T x, T y) const { return c ? x : y; }
};

}  // namespace kernels
}  // namespace kiln
