// Compress: the output shape follows the constant condition (per axis, or over the flattened input), a
// run-time condition is refused with the reason, and the evaluator selects the slices.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

onnx::ModelProto compress_model(const std::vector<bool>* cond, int axis, bool with_axis) {
    onnx::ModelProto m = make_model(11);
    add_input(m, "x", kFloat, {3, 2});
    if (cond) {
        onnx::TensorProto t;
        t.set_name("c");
        t.set_data_type(onnx::TensorProto::BOOL);
        t.add_dims(int64_t(cond->size()));
        for (bool b : *cond) t.add_int32_data(b ? 1 : 0);
        add_initializer(m, t);
    } else {
        add_input(m, "c", onnx::TensorProto::BOOL, {3});
    }
    onnx::NodeProto* n = add_node(m, "Compress", {"x", "c"}, {"y"}, "compress");
    if (with_axis) {
        onnx::AttributeProto* a = n->add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(axis);
    }
    add_output(m, "y", kFloat, {});
    return m;
}

}  // namespace

TEST_CASE("Compress selects slices where the constant condition is true", "[ops][compress]") {
    const std::vector<bool> rows = {false, true, true};
    Graph g = inferred(*import_model(compress_model(&rows, 0, true)));
    REQUIRE(g.value(g.find_value("y")).shape == Shape{2, 2});
    Tensor x = random_float_tensor({3, 2}, 3);
    Tensor y = evaluate_ok(g, {x})[0];
    for (int i = 0; i < 4; ++i) CHECK(y.data<float>()[i] == x.data<float>()[2 + i]);

    // No axis: the flattened input; a short condition leaves the rest out.
    const std::vector<bool> flat = {true, false, false, true};
    Graph f = inferred(*import_model(compress_model(&flat, 0, false)));
    REQUIRE(f.value(f.find_value("y")).shape == Shape{2});
    Tensor fy = evaluate_ok(f, {x})[0];
    CHECK(fy.data<float>()[0] == x.data<float>()[0]);
    CHECK(fy.data<float>()[1] == x.data<float>()[3]);

    const std::vector<bool> last = {false, true};
    Graph n = inferred(*import_model(compress_model(&last, -1, true)));
    CHECK(n.value(n.find_value("y")).shape == Shape{3, 1});
}

TEST_CASE("Compress refuses a run-time condition and selections past the axis", "[ops][compress]") {
    Expected<Graph> r = infer_shapes(*import_model(compress_model(nullptr, 0, true)));
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("must be a compile-time constant"));
    const std::vector<bool> long_cond = {false, false, true};
    Expected<Graph> p = infer_shapes(*import_model(compress_model(&long_cond, 1, true)));
    REQUIRE_FALSE(p.is_ok());
    CHECK_THAT(p.status().message(), Catch::Contains("condition selects index 2, past the axis of size 2"));
}
