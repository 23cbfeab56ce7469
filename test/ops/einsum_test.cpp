// Einsum: equation parsing and its errors, the planned loop nest run by the kernel against a brute-force
// reference (every label assignment, in double) over odd sizes, in both loop orders the planner picks,
// and the operator through infer-shapes and the reference evaluator.
#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/einsum.h"
#include "ops/einsum_plan.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

struct Operand {
    Shape shape;
    std::vector<double> data;
};

Operand random_operand(Shape shape, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> u(-4, 4);  // small integers: every sum is exact in float
    Operand o{shape, std::vector<double>(std::size_t(shape_numel(shape)))};
    for (double& v : o.data) v = double(u(rng));
    return o;
}

// Brute force: terms are plain letters (no "..."); a dim of size 1 broadcasts. Loops over every
// assignment of every label and adds the product of the inputs to the output element.
std::vector<double> reference(const std::vector<std::string>& terms, const std::string& out_term,
                              const std::vector<Operand>& ins) {
    std::map<char, int64_t> size;
    for (std::size_t k = 0; k < ins.size(); ++k)
        for (std::size_t d = 0; d < terms[k].size(); ++d)
            size[terms[k][d]] = std::max(size[terms[k][d]], ins[k].shape[d]);
    std::vector<char> labels;
    for (const auto& [l, s] : size) labels.push_back(l);
    int64_t out_n = 1;
    for (char l : out_term) out_n *= size[l];
    std::vector<double> y(std::size_t(out_n), 0.0);
    std::map<char, int64_t> at;
    for (char l : labels) at[l] = 0;
    int64_t total = 1;
    for (char l : labels) total *= size[l];
    for (int64_t it = 0; it < total; ++it) {
        int64_t rem = it;
        for (std::size_t i = labels.size(); i-- > 0;) {
            at[labels[i]] = rem % size[labels[i]];
            rem /= size[labels[i]];
        }
        double prod = 1;
        for (std::size_t k = 0; k < ins.size(); ++k) {
            int64_t off = 0;
            for (std::size_t d = 0; d < terms[k].size(); ++d)
                off = off * ins[k].shape[d] + (ins[k].shape[d] == 1 ? 0 : at[terms[k][d]]);
            prod *= ins[k].data[std::size_t(off)];
        }
        int64_t o = 0;
        for (char l : out_term) o = o * size[l] + at[l];
        y[std::size_t(o)] += prod;
    }
    return y;
}

kernels::EinsumParams to_params(const EinsumPlan& plan, std::size_t inputs) {
    kernels::EinsumParams p{};
    p.inputs = int32_t(inputs);
    p.loops = int32_t(plan.sizes.size());
    p.split = int32_t(plan.split);
    p.out_count = shape_numel(plan.out_shape);
    REQUIRE(p.loops <= kernels::kEinsumMaxLoops);
    for (int32_t d = 0; d < p.loops; ++d) {
        p.sizes[d] = plan.sizes[std::size_t(d)];
        p.out_strides[d] = plan.out_strides[std::size_t(d)];
        for (std::size_t k = 0; k < inputs; ++k) p.in_strides[k][d] = plan.in_strides[k][std::size_t(d)];
    }
    return p;
}

// Plans `equation`, runs the kernel in T with and without the matmul-like order, and compares both with
// the reference of the equivalent plain-letter equation.
template <typename T>
void check_einsum(const std::string& equation, std::vector<Shape> shapes, const std::vector<std::string>& ref_terms,
                  const std::string& ref_out, Shape expected_shape) {
    INFO("equation " << equation);
    std::vector<Operand> ins;
    for (std::size_t k = 0; k < shapes.size(); ++k) ins.push_back(random_operand(shapes[k], uint32_t(7 + k)));
    const std::vector<double> want = reference(ref_terms, ref_out, ins);
    for (bool accumulate : {true, false}) {
        Expected<EinsumPlan> plan = plan_einsum(equation, shapes, accumulate);
        REQUIRE(plan.is_ok());
        CHECK(plan->out_shape == expected_shape);
        if (!accumulate) CHECK(plan->split == int(std::count_if(plan->out_strides.begin(), plan->out_strides.end(),
                                                                [](int64_t s) { return s != 0; })));
        const kernels::EinsumParams p = to_params(*plan, shapes.size());
        std::vector<std::vector<T>> data;
        const T* ptrs[kernels::kEinsumMaxInputs] = {nullptr, nullptr, nullptr, nullptr};
        for (const Operand& o : ins) data.emplace_back(o.data.begin(), o.data.end());
        for (std::size_t k = 0; k < data.size(); ++k) ptrs[k] = data[k].data();
        std::vector<T> y(want.size() + 1, T(99));  // one guard element past the end
        kernels::einsum_inputs<kernels::PlainIo<T>>(ptrs, y.data(), p);
        REQUIRE(shape_numel(plan->out_shape) == int64_t(want.size()));
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(double(y[i]) == want[i]);
        CHECK(y.back() == T(99));
    }
}

std::string plan_error(const std::string& equation, std::vector<Shape> shapes) {
    Expected<EinsumPlan> plan = plan_einsum(equation, shapes, true);
    REQUIRE_FALSE(plan.is_ok());
    return plan.status().message();
}

}  // namespace

TEST_CASE("einsum equations parse into terms; implicit output follows numpy", "[ops][einsum]") {
    Expected<EinsumEquation> e = parse_einsum(" bij , bjk -> bik ");
    REQUIRE(e.is_ok());
    REQUIRE(e->inputs.size() == 2);
    CHECK(e->explicit_output);
    CHECK(e->inputs[0].labels == std::vector<int>{27, 34, 35});
    CHECK(e->output.labels == std::vector<int>{27, 34, 36});
    Expected<EinsumEquation> d = parse_einsum("...ii->...i");
    REQUIRE(d.is_ok());
    CHECK(d->inputs[0].ellipsis == 0);
    CHECK(d->output.ellipsis == 0);
    // Implicit: labels used once, sorted with upper case first; "..." dims lead.
    CHECK(plan_einsum("aB", {{2, 3}}, true)->out_shape == Shape{3, 2});
    CHECK(plan_einsum("ij,jk", {{2, 3}, {3, 4}}, true)->out_shape == Shape{2, 4});
    CHECK(plan_einsum("i...j", {{2, 5, 6, 3}}, true)->out_shape == Shape{5, 6, 2, 3});
    CHECK(plan_einsum("ii", {{4, 4}}, true)->out_shape == Shape{});
}

TEST_CASE("einsum equation errors name the equation and the problem", "[ops][einsum]") {
    CHECK_THAT(plan_error("ij,jk->ik", {{2, 3}}),
               Catch::Contains("equation 'ij,jk->ik': has 2 input terms for 1 inputs"));
    CHECK_THAT(plan_error("ij->i2", {{2, 3}}), Catch::Contains("unexpected '2' at position 5"));
    CHECK_THAT(plan_error("i.j->i", {{2, 3}}), Catch::Contains("'.' at position 1 is not part of '...'"));
    CHECK_THAT(plan_error("......i", {{2, 3}}), Catch::Contains("input term 0 has a second '...' at position 3"));
    CHECK_THAT(plan_error("ij->k", {{2, 3}}), Catch::Contains("output label 'k' is not in any input"));
    CHECK_THAT(plan_error("ij->ii", {{2, 3}}), Catch::Contains("output label 'i' appears twice"));
    CHECK_THAT(plan_error("ij->i->j", {{2, 3}}), Catch::Contains("unexpected '-' at position 5"));
    CHECK_THAT(plan_error("ij,k->...", {{2, 3}, {2}}), Catch::Contains("the output has '...' but no input has"));
    CHECK_THAT(plan_error("ijk", {{2, 3}}), Catch::Contains("input 0 has rank 2 but its term names 3 dims"));
    CHECK_THAT(plan_error("...ijk", {{2, 3}}), Catch::Contains("input 0 has rank 2, fewer than the 3 labels"));
    CHECK_THAT(plan_error("ij,jk->ik", {{2, 3}, {4, 5}}),
               Catch::Contains("label 'j' has size 4 in input 1 but 3 in an earlier input"));
    CHECK_THAT(plan_error("ii->i", {{2, 3}}), Catch::Contains("label 'i' repeats in input 0 with sizes 2 and 3"));
    CHECK_THAT(plan_error("...i->i", {{4, 2, 3}}), Catch::Contains("stands for 2 dims, so the output needs '...' too"));
    CHECK_THAT(plan_error("ij\x01", {{2, 3}}), Catch::Contains("equation 'ij\\x01'"));
}

TEST_CASE("einsum kernel matches brute force: the ONNX test equations", "[ops][einsum]") {
    check_einsum<double>("ij->ji", {{3, 4}}, {"ij"}, "ji", {4, 3});
    check_einsum<double>("ij->i", {{3, 4}}, {"ij"}, "i", {3});
    check_einsum<double>("i,i", {{5}, {5}}, {"i", "i"}, "", {});
    check_einsum<double>("bij, bjk -> bik", {{5, 2, 3}, {5, 3, 4}}, {"bij", "bjk"}, "bik", {5, 2, 4});
    check_einsum<double>("...ii ->...i", {{3, 5, 5}}, {"bii"}, "bi", {3, 5});
}

TEST_CASE("einsum kernel matches brute force: diagonals, broadcasting, many inputs, odd sizes", "[ops][einsum]") {
    check_einsum<float>("ji", {{3, 7}}, {"ji"}, "ij", {7, 3});
    check_einsum<float>("ii->i", {{7, 7}}, {"ii"}, "i", {7});
    check_einsum<float>("ii", {{7, 7}}, {"ii"}, "", {});
    check_einsum<float>("iij->ji", {{3, 3, 5}}, {"iij"}, "ji", {5, 3});
    check_einsum<float>("i,j->ij", {{3}, {7}}, {"i", "j"}, "ij", {3, 7});
    check_einsum<float>("ij,ij->ij", {{3, 7}, {3, 7}}, {"ij", "ij"}, "ij", {3, 7});
    check_einsum<float>("ij,jk", {{17, 3}, {3, 7}}, {"ij", "jk"}, "ik", {17, 7});
    check_einsum<float>("ik,jk->ij", {{5, 17}, {3, 17}}, {"ik", "jk"}, "ij", {5, 3});
    check_einsum<float>("i->", {{17}}, {"i"}, "", {});
    check_einsum<float>("ijk->", {{3, 1, 5}}, {"ijk"}, "", {});
    check_einsum<float>("Ab,bA", {{3, 5}, {5, 3}}, {"Ab", "bA"}, "", {});
    check_einsum<float>("bn,anm,bm->ba", {{2, 3}, {7, 3, 5}, {2, 5}}, {"bn", "anm", "bm"}, "ba", {2, 7});
    check_einsum<float>("a,b,c,d->dcba", {{2}, {3}, {1}, {5}}, {"a", "b", "c", "d"}, "dcba", {5, 1, 3, 2});
    check_einsum<float>("...ij,...jk->...ik", {{2, 1, 3, 4}, {5, 4, 3}}, {"xyij", "yjk"}, "xyik", {2, 5, 3, 3});
    check_einsum<float>("...i,...i->...", {{2, 3}, {5, 1, 3}}, {"yi", "xyi"}, "xy", {5, 2});
    check_einsum<float>("i...->...", {{3, 2, 5}}, {"ixy"}, "xy", {2, 5});
    check_einsum<float>("ij,jk->ik", {{3, 1}, {4, 5}}, {"ij", "jk"}, "ik", {3, 5});  // j broadcasts from 1
    check_einsum<int32_t>("bij,bjk->bik", {{3, 5, 7}, {3, 7, 2}}, {"bij", "bjk"}, "bik", {3, 5, 2});
    check_einsum<int8_t>("ij->j", {{3, 5}}, {"ij"}, "j", {5});
}

TEST_CASE("einsum kernel: empty labels give zeros, scalars multiply", "[ops][einsum]") {
    check_einsum<float>("ij,jk->ik", {{2, 0}, {0, 3}}, {"ij", "jk"}, "ik", {2, 3});
    check_einsum<float>(",->", {{}, {}}, {"", ""}, "", {});
    check_einsum<float>("ij->j", {{0, 3}}, {"ij"}, "j", {3});
}

TEST_CASE("einsum plans matmul-like equations with the output row innermost", "[ops][einsum]") {
    Expected<EinsumPlan> mm = plan_einsum("bij,bjk->bik", {{5, 2, 3}, {5, 3, 4}}, true);
    REQUIRE(mm.is_ok());
    CHECK(mm->sizes == std::vector<int64_t>{5, 2, 3, 4});  // b, i, j, k
    CHECK(mm->split == 4);
    CHECK(mm->out_strides == std::vector<int64_t>{8, 4, 0, 1});
    CHECK(mm->in_strides[1] == std::vector<int64_t>{12, 0, 4, 1});
    // Without accumulation (16-bit floats) the summed j is innermost, one register per output element.
    Expected<EinsumPlan> st = plan_einsum("bij,bjk->bik", {{5, 2, 3}, {5, 3, 4}}, false);
    CHECK(st->sizes == std::vector<int64_t>{5, 2, 4, 3});
    CHECK(st->split == 3);
    // A dot over the contiguous last dim stays a dot.
    CHECK(plan_einsum("ik,jk->ij", {{5, 17}, {3, 17}}, true)->split == 2);
}

TEST_CASE("einsum kernel computes float16 in float and rounds once", "[ops][einsum]") {
    Expected<EinsumPlan> plan = plan_einsum("i,i", {{3}, {3}}, false);
    REQUIRE(plan.is_ok());
    const kernels::EinsumParams p = to_params(*plan, 2);
    const uint16_t a[3] = {kernels::double_to_f16(2048), kernels::double_to_f16(1), kernels::double_to_f16(1)};
    const uint16_t b[3] = {kernels::double_to_f16(1), kernels::double_to_f16(1), kernels::double_to_f16(1)};
    uint16_t y = 0;
    kernels::einsum<kernels::F16Io>(a, b, &y, p);
    // 2048 + 1 + 1 in float16 steps would stay 2048; summed in float it is 2050.
    CHECK(kernels::f16_to_float(y) == 2050.0f);
}

TEST_CASE("einsum op: infer-shapes and the evaluator", "[ops][einsum]") {
    onnx::ModelProto m = make_model(12);
    add_input(m, "x", kFloat, {2, 3});
    add_input(m, "y", kFloat, {3, 4});
    onnx::NodeProto* n = add_node(m, "Einsum", {"x", "y"}, {"z"}, "mm");
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("equation");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("ij,jk");
    add_output(m, "z", kFloat, {});
    Graph g = inferred(*import_model(m));
    CHECK(g.value(g.find_value("z")).shape == Shape{2, 4});
    Tensor x = random_float_tensor({2, 3}, 1), y = random_float_tensor({3, 4}, 2);
    Tensor z = evaluate_ok(g, {x, y})[0];
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 4; ++k) {
            double s = 0;
            for (int j = 0; j < 3; ++j) s += double(x.data<float>()[i * 3 + j]) * double(y.data<float>()[j * 4 + k]);
            CHECK(z.data<float>()[i * 4 + k] == Approx(s).margin(1e-5));
        }

    a->set_s("ij,jk->ik,");
    Expected<Graph> bad = import_model(m);
    REQUIRE(bad.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*bad));
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("node 'mm' (Einsum, opset 12): equation 'ij,jk->ik,'"));
}
