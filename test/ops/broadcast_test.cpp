// Broadcast shapes and the collapsed stride parameters that the binary kernels iterate with: the collapsed
// iteration must visit exactly the element offsets that a naive multi-index walk computes.
#include <random>

#include <catch2/catch.hpp>

#include "ops/broadcast.h"

using namespace kiln;

namespace {

Shape bcast(std::vector<Shape> shapes) {
    Shape out;
    REQUIRE(broadcast_shapes(shapes, &out));
    return out;
}

bool compatible(std::vector<Shape> shapes) {
    Shape out;
    return broadcast_shapes(shapes, &out);
}

// Offsets of each input for every output element, by explicit index arithmetic.
std::vector<std::array<int64_t, 3>> naive_offsets(const Shape& out, const std::vector<Shape>& ins) {
    std::vector<std::array<int64_t, 3>> r;
    int64_t total = shape_numel(out);
    for (int64_t o = 0; o < total; ++o) {
        std::array<int64_t, 3> offs{0, 0, 0};
        int64_t rem = o;
        std::vector<int64_t> idx(out.size());
        for (std::size_t d = out.size(); d-- > 0;) {
            idx[d] = rem % out[d];
            rem /= out[d];
        }
        for (std::size_t k = 0; k < ins.size(); ++k) {
            const Shape& s = ins[k];
            std::size_t lead = out.size() - s.size();
            int64_t off = 0;
            for (std::size_t d = 0; d < s.size(); ++d) off = off * s[d] + (s[d] == 1 ? 0 : idx[lead + d]);
            offs[k] = off;
        }
        r.push_back(offs);
    }
    return r;
}

std::vector<std::array<int64_t, 3>> kernel_offsets(const kernels::BroadcastParams& p, int64_t total) {
    std::vector<std::array<int64_t, 3>> r(std::size_t(total), {-1, -1, -1});
    kernels::for_each_broadcast(p, [&](int64_t o, int64_t a, int64_t b, int64_t c) {
        REQUIRE(o >= 0);
        REQUIRE(o < total);
        r[std::size_t(o)] = {a, b, c};
    });
    return r;
}

}  // namespace

TEST_CASE("broadcast_shapes follows numpy rules", "[ops][broadcast]") {
    CHECK(bcast({{}, {}}) == Shape{});
    CHECK(bcast({{2, 3}, {3}}) == Shape{2, 3});
    CHECK(bcast({{2, 1}, {1, 3}}) == Shape{2, 3});
    CHECK(bcast({{}, {4, 5}}) == Shape{4, 5});
    CHECK(bcast({{8, 1, 6, 1}, {7, 1, 5}}) == Shape{8, 7, 6, 5});
    CHECK(bcast({{2, 1, 4}, {3, 1}, {1}}) == Shape{2, 3, 4});
    CHECK(bcast({{0}, {1}}) == Shape{0});
    CHECK(bcast({{2, 0}, {2, 1}}) == Shape{2, 0});
    CHECK(bcast({{5}}) == Shape{5});
    CHECK_FALSE(compatible({{2}, {3}}));
    CHECK_FALSE(compatible({{2, 3}, {3, 2}}));
    CHECK_FALSE(compatible({{0}, {2}}));
    CHECK_FALSE(compatible({{4}, {4}, {2, 3}}));
}

TEST_CASE("equal shapes collapse to one contiguous run", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({2, 3, 4}, {{2, 3, 4}, {2, 3, 4}});
    REQUIRE(p.rank == 1);
    CHECK(p.dims[0] == 24);
    CHECK(p.strides[0][0] == 1);
    CHECK(p.strides[1][0] == 1);
}

TEST_CASE("a scalar against a tensor collapses to stride 0", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({2, 3}, {{}, {2, 3}});
    REQUIRE(p.rank == 1);
    CHECK(p.dims[0] == 6);
    CHECK(p.strides[0][0] == 0);
    CHECK(p.strides[1][0] == 1);
}

TEST_CASE("row broadcast keeps two dims", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({2, 3}, {{2, 3}, {3}});
    REQUIRE(p.rank == 2);
    CHECK(p.dims[0] == 2);
    CHECK(p.dims[1] == 3);
    CHECK(p.strides[0][0] == 3);
    CHECK(p.strides[0][1] == 1);
    CHECK(p.strides[1][0] == 0);
    CHECK(p.strides[1][1] == 1);
}

TEST_CASE("size-one dims are dropped", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({2, 1, 3}, {{2, 1, 3}, {1, 1, 3}});
    REQUIRE(p.rank == 2);
    CHECK(p.dims[0] == 2);
    CHECK(p.dims[1] == 3);
    CHECK(p.strides[1][0] == 0);
}

TEST_CASE("scalar outputs", "[ops][broadcast]") {
    kernels::BroadcastParams s = make_broadcast_params({}, {{}, {}});
    CHECK(s.rank == 0);
    CHECK(kernel_offsets(s, 1) == std::vector<std::array<int64_t, 3>>{{0, 0, 0}});
    kernels::BroadcastParams ones = make_broadcast_params({1, 1}, {{1, 1}, {1}});
    REQUIRE(ones.rank == 1);
    CHECK(ones.dims[0] == 1);
    CHECK(kernel_offsets(ones, 1) == std::vector<std::array<int64_t, 3>>{{0, 0, 0}});
}

TEST_CASE("empty outputs visit nothing", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({0, 3}, {{0, 3}, {3}});
    int visits = 0;
    kernels::for_each_broadcast(p, [&](int64_t, int64_t, int64_t, int64_t) { ++visits; });
    CHECK(visits == 0);
}

TEST_CASE("collapsed iteration visits the same offsets as a naive walk", "[ops][broadcast]") {
    std::mt19937 rng(2024);
    for (int trial = 0; trial < 3000; ++trial) {
        std::size_t rank = rng() % 7;
        Shape out(rank);
        for (int64_t& d : out) d = 1 + int64_t(rng() % 4);
        std::size_t n = 1 + rng() % 3;
        std::vector<Shape> ins;
        for (std::size_t k = 0; k < n; ++k) {
            std::size_t drop = rng() % (rank + 1);  // fewer leading dims
            Shape s(out.begin() + std::ptrdiff_t(drop), out.end());
            for (int64_t& d : s)
                if (rng() % 3 == 0) d = 1;
            ins.push_back(s);
        }
        Shape res;  // `out` where some input keeps each dim, 1 (or absent) where all broadcast it
        REQUIRE(broadcast_shapes(ins, &res));
        kernels::BroadcastParams p = make_broadcast_params(res, ins);
        INFO("trial " << trial << " out " << shape_str(res));
        REQUIRE(p.rank <= kernels::kMaxRank);
        REQUIRE(p.rank <= int(std::max<std::size_t>(res.size(), 1)));
        CHECK(kernel_offsets(p, shape_numel(res)) == naive_offsets(res, ins));
    }
}

TEST_CASE("c_broadcast_params writes an aggregate initializer in field order", "[ops][broadcast]") {
    kernels::BroadcastParams p = make_broadcast_params({2, 3}, {{2, 3}, {3}});
    CHECK(c_broadcast_params(p) == "{2, {2, 3}, {{3, 1}, {0, 1}, {0, 0}}}");
    CHECK(c_broadcast_params(make_broadcast_params({}, {{}, {}})) == "{0, {0}, {{0}, {0}, {0}}}");
}
