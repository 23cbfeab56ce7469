// ReverseSequence: the spec's two examples (time-major and batch-major), clamped lengths, and blocks of
// inner elements moving together.
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/reverse_sequence.h"

using namespace kiln;

TEST_CASE("reverse_sequence reproduces the spec's examples", "[ops][reverse_sequence]") {
    std::vector<float> x(16);
    for (int i = 0; i < 16; ++i) x[std::size_t(i)] = float(i);
    std::vector<float> y(16);
    // Example 1: time_axis 0, batch_axis 1, input[t][b] = 4 * b + t.
    std::vector<float> x1(16);
    for (int t = 0; t < 4; ++t)
        for (int b = 0; b < 4; ++b) x1[std::size_t(t * 4 + b)] = float(4 * b + t);
    const int64_t lens1[4] = {4, 3, 2, 1};
    kernels::reverse_sequence(x1.data(), lens1, y.data(), kernels::ReverseSequenceParams{4, 4, 1, 1});
    CHECK(y == std::vector<float>{3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15});
    // Example 2: time_axis 1, batch_axis 0.
    const int64_t lens2[4] = {1, 2, 3, 4};
    kernels::reverse_sequence(x.data(), lens2, y.data(), kernels::ReverseSequenceParams{4, 4, 1, 0});
    CHECK(y == std::vector<float>{0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12});
}

TEST_CASE("reverse_sequence moves inner blocks and clamps lengths", "[ops][reverse_sequence]") {
    // [batch 2, time 3, inner 2]; lengths 7 (clamped to 3) and -1 (clamped to 0).
    const std::vector<int32_t> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const int64_t lens[2] = {7, -1};
    std::vector<int32_t> y(12);
    kernels::reverse_sequence(x.data(), lens, y.data(), kernels::ReverseSequenceParams{2, 3, 2, 0});
    CHECK(y == std::vector<int32_t>{4, 5, 2, 3, 0, 1, 6, 7, 8, 9, 10, 11});
}
