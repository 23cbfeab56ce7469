// TfIdfVectorizer: the spec tests' pool on hand-counted inputs through the evaluator (unigrams once,
// bigrams per skip, permuted output columns, IDF/TFIDF weights), and the attribute errors.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
}
void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

// Pool: unigrams 2 3 5 4, bigrams (5,6) (7,8) (6,7); columns reversed (n-gram k -> column 6 - k).
onnx::ModelProto tfidf_model(const std::string& mode, int64_t min_n, int64_t max_skip, bool weights,
                             std::vector<int64_t> counts = {0, 4}) {
    onnx::ModelProto m = make_model(9);
    add_input(m, "x", kInt32, {2, 6});
    onnx::NodeProto* n = add_node(m, "TfIdfVectorizer", {"x"}, {"y"}, "tfidf");
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("mode");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(mode);
    set_int(n, "min_gram_length", min_n);
    set_int(n, "max_gram_length", 2);
    set_int(n, "max_skip_count", max_skip);
    set_ints(n, "ngram_counts", counts);
    set_ints(n, "ngram_indexes", {6, 5, 4, 3, 2, 1, 0});
    set_ints(n, "pool_int64s", {2, 3, 5, 4, 5, 6, 7, 8, 6, 7});
    if (weights) {
        onnx::AttributeProto* w = n->add_attribute();
        w->set_name("weights");
        w->set_type(onnx::AttributeProto::FLOATS);
        for (int i = 0; i < 7; ++i) w->add_floats(0.5f * float(i + 1));
    }
    add_output(m, "y", kFloat, {});
    return m;
}

std::vector<float> run(const onnx::ModelProto& m) {
    Graph g = inferred(*import_model(m));
    Tensor x(DType::Int32, {2, 6});
    const int32_t rows[12] = {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8};
    for (int i = 0; i < 12; ++i) x.data<int32_t>()[i] = rows[i];
    Tensor y = evaluate_ok(g, {x})[0];
    REQUIRE(y.shape() == Shape{2, 7});
    return std::vector<float>(y.data<float>(), y.data<float>() + 14);
}

}  // namespace

TEST_CASE("TfIdfVectorizer counts n-grams with skips into their columns", "[ops][tfidf]") {
    // Row 1 (8 6 7 5 6 8): (6,7) at distance 1, (5,6) at 1; with skips (7,8) at distance 3.
    CHECK(run(tfidf_model("TF", 2, 0, false)) == std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0});
    CHECK(run(tfidf_model("TF", 2, 5, false)) == std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0});
    // Unigrams count once whatever the skips: row 0 has three 3s (n-gram 1, column 5), row 1 one 5.
    CHECK(run(tfidf_model("TF", 1, 5, false)) == std::vector<float>{0, 0, 0, 0, 0, 3, 0, 1, 1, 1, 0, 1, 0, 0});
    // IDF: weight of the n-gram where it occurs; TFIDF: count times weight (n-gram k weighs 0.5 (k + 1)).
    CHECK(run(tfidf_model("IDF", 1, 5, true)) ==
          std::vector<float>{0, 0, 0, 0, 0, 1, 0, 3.5f, 3, 2.5f, 0, 1.5f, 0, 0});
    CHECK(run(tfidf_model("TFIDF", 1, 5, true)) ==
          std::vector<float>{0, 0, 0, 0, 0, 3, 0, 3.5f, 3, 2.5f, 0, 1.5f, 0, 0});
    CHECK(run(tfidf_model("IDF", 1, 5, false)) == std::vector<float>{0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0});
}

TEST_CASE("TfIdfVectorizer attribute errors", "[ops][tfidf]") {
    auto error = [](const onnx::ModelProto& m) {
        Expected<Graph> r = infer_shapes(*import_model(m));
        REQUIRE_FALSE(r.is_ok());
        return r.status().message();
    };
    CHECK_THAT(error(tfidf_model("BM25", 1, 0, false)), Catch::Contains("mode='BM25' is not one of TF, IDF, TFIDF"));
    CHECK_THAT(error(tfidf_model("TF", 1, 0, false, {0, 3})),
               Catch::Contains("level 1 has 7 items, not whole 2-grams"));
    CHECK_THAT(error(tfidf_model("TF", 1, 0, false, {0, 5})), Catch::Contains("the pool has the 1-gram [5] twice"));
    CHECK_THAT(error(tfidf_model("TF", 3, 0, false)), Catch::Contains("min_gram_length=3 and max_gram_length=2"));
}
