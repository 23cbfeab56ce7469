// Compress and NonZero: with constant data they fold to numpy's results; with run-time data they are
// refused with the "must be a compile-time constant" reason (which `kiln check --freeze-int-inputs` lifts).
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

onnx::TensorProto bool_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<bool>& v) {
    Tensor t(DType::Bool, dims);
    for (std::size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
    return to_proto(t, name);
}

Graph compress_graph(Shape x, const std::vector<bool>& cond, bool with_axis, int64_t axis) {
    onnx::ModelProto m = make_model(13);
    std::vector<Dim> dims(x.begin(), x.end());
    add_input(m, "x", kFloat, dims);
    add_initializer(m, bool_tensor("cond", {int64_t(cond.size())}, cond));
    onnx::NodeProto* n = add_node(m, "Compress", {"x", "cond"}, {"y"});
    if (with_axis) {
        auto* a = n->add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(axis);
    }
    add_output(m, "y", kFloat, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

}  // namespace

TEST_CASE("Compress along an axis and flattened", "[ops][selection]") {
    Tensor x = float_tensor({3, 2}, {1, 2, 3, 4, 5, 6});
    CHECK(evaluate_ok(compress_graph({3, 2}, {false, true, true}, true, 0), {x})[0].same_bytes(
        float_tensor({2, 2}, {3, 4, 5, 6})));
    CHECK(evaluate_ok(compress_graph({3, 2}, {false, true}, true, -1), {x})[0].same_bytes(float_tensor({3, 1}, {2, 4, 6})));
    // A condition shorter than the input selects among its first entries; a longer one only adds falses.
    CHECK(evaluate_ok(compress_graph({3, 2}, {false, true, true, false, true}, false, 0), {x})[0].same_bytes(
        float_tensor({3}, {2, 3, 5})));
    CHECK(evaluate_ok(compress_graph({3, 2}, {true, false, false, false}, true, 0), {x})[0].same_bytes(
        float_tensor({1, 2}, {1, 2})));
}

TEST_CASE("NonZero of a constant folds to coordinates", "[ops][selection]") {
    onnx::ModelProto m = make_model(13);
    add_initializer(m, raw_float_tensor("x", {2, 3}, {0, 1.5f, 0, -2, 0, 3}));
    add_node(m, "NonZero", {"x"}, {"y"});
    add_output(m, "y", kInt64, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Graph f = inferred(std::move(*g));
    const Value& y = f.value(f.outputs[0]);
    REQUIRE(y.is_constant());
    REQUIRE(y.shape == Shape{2, 3});
    const std::vector<int64_t> want = {0, 1, 1, 1, 0, 2};
    CHECK(y.data->to_int64_vector() == want);
}

TEST_CASE("Compress and NonZero refuse run-time data", "[ops][selection]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_input(m, "cond", onnx::TensorProto::BOOL, {4});
    add_node(m, "Compress", {"x", "cond"}, {"y"});
    add_node(m, "NonZero", {"x"}, {"z"});
    add_output(m, "y", kFloat, {});
    add_output(m, "z", kInt64, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("condition) must be a compile-time constant"));
}
