// TfIdfVectorizer through the reference evaluator: 1-grams counted once whatever the skips, 2-grams with
// gaps, the IDF and TFIDF weightings, and a 2-d batch; string pools are refused.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}
void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
}

// Pool: 1-grams {7, 9}, 2-grams {(7, 9), (9, 9)}; output columns 3, 2, 1, 0.
onnx::ModelProto tfidf_model(std::vector<Dim> shape, const std::string& mode, int64_t min_gram, int64_t max_skip) {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kInt32, shape);
    onnx::NodeProto* n = add_node(m, "TfIdfVectorizer", {"x"}, {"y"});
    attr_int(n, "min_gram_length", min_gram);
    attr_int(n, "max_gram_length", 2);
    attr_int(n, "max_skip_count", max_skip);
    auto* a = n->add_attribute();
    a->set_name("mode");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(mode);
    attr_ints(n, "ngram_counts", {0, 2});
    attr_ints(n, "ngram_indexes", {3, 2, 1, 0});
    attr_ints(n, "pool_int64s", {7, 9, 7, 9, 9, 9});
    if (mode != "TF") {
        auto* w = n->add_attribute();
        w->set_name("weights");
        w->set_type(onnx::AttributeProto::FLOATS);
        for (float v : {0.5f, 2.0f, 3.0f, 4.0f}) w->add_floats(v);
    }
    add_output(m, "y", kFloat, {});
    return m;
}

Tensor tokens(Shape s, const std::vector<int32_t>& v) {
    Tensor t(DType::Int32, std::move(s));
    for (std::size_t i = 0; i < v.size(); ++i) t.data<int32_t>()[i] = v[i];
    return t;
}

Tensor run(const onnx::ModelProto& m, const Tensor& x) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    return evaluate_ok(inferred(std::move(*g)), {x})[0];
}

}  // namespace

TEST_CASE("TfIdfVectorizer counts n-grams with skips", "[ops][tfidf]") {
    const Tensor x = tokens({5}, {7, 9, 1, 9, 9});
    // No skips: 7 once, 9 three times; (7,9) at 0-1, (9,9) at 3-4. Columns: [(9,9), (7,9), 9, 7].
    CHECK(run(tfidf_model({5}, "TF", 1, 0), x).same_bytes(float_tensor({4}, {1, 1, 3, 1})));
    // Skip up to 2: 1-grams unchanged; (7,9) also at 0-3 (gap 2); (9,9) also at 1-3 (gap 1) and 1-4 (gap 2).
    CHECK(run(tfidf_model({5}, "TF", 1, 2), x).same_bytes(float_tensor({4}, {3, 2, 3, 1})));
    // Only 2-grams.
    CHECK(run(tfidf_model({5}, "TF", 2, 0), x).same_bytes(float_tensor({4}, {1, 1, 0, 0})));
}

TEST_CASE("TfIdfVectorizer weights and batches", "[ops][tfidf]") {
    const Tensor x = tokens({2, 3}, {9, 9, 9, 7, 1, 1});
    // Row 0: 9 x3, (9,9) x2; row 1: 7 x1. Weights by pool n-gram: 7: 0.5, 9: 2, (7,9): 3, (9,9): 4.
    CHECK(run(tfidf_model({2, 3}, "TFIDF", 1, 0), x).same_bytes(float_tensor({2, 4}, {8, 0, 6, 0, 0, 0, 0, 0.5f})));
    CHECK(run(tfidf_model({2, 3}, "IDF", 1, 0), x).same_bytes(float_tensor({2, 4}, {4, 0, 2, 0, 0, 0, 0, 0.5f})));
}

TEST_CASE("TfIdfVectorizer refuses string pools", "[ops][tfidf]") {
    onnx::ModelProto m = tfidf_model({5}, "TF", 1, 0);
    auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
    a->set_name("pool_strings");
    a->set_type(onnx::AttributeProto::STRINGS);
    a->add_strings("a");
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("pool_strings is not supported"));
}
