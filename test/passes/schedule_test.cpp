// schedule: on branchy graphs (Inception-, DenseNet-, U-Net-like) whose file order holds big tensors too
// long, the chosen order has a strictly smaller peak of live bytes; the outputs stay the same.
#include <algorithm>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "passes/plan_memory.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {

std::vector<int> identity_order(const Graph& g) {
    std::vector<int> o(g.nodes.size());
    for (std::size_t i = 0; i < o.size(); ++i) o[i] = int(i);
    return o;
}

std::size_t peak(const Graph& g) { return peak_live_bytes(g, identity_order(g), 16); }

// A 1x1 convolution from cin to cout channels with seeded weights.
void conv1x1(onnx::ModelProto& m, const std::string& in, const std::string& out, int64_t cin, int64_t cout) {
    std::mt19937 rng(uint32_t(std::hash<std::string>()(out)));
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> w(std::size_t(cin * cout));
    for (float& v : w) v = d(rng);
    add_initializer(m, raw_float_tensor(out + "_w", {cout, cin, 1, 1}, w));
    add_node(m, "Conv", {in, out + "_w"}, {out}, out);
}

void concat(onnx::ModelProto& m, const std::vector<std::string>& ins, const std::string& out) {
    onnx::NodeProto* n = add_node(m, "Concat", ins, {out}, out);
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
}

// Runs the pipeline up to the schedule pass, then the schedule pass; checks what the brief promises.
void check_schedule_improves(const onnx::ModelProto& m) {
    Expected<Graph> imported = import_model(m);
    REQUIRE(imported.is_ok());
    Expected<Graph> before = run_pipeline(std::move(*imported), {{"infer-shapes", infer_shapes},
                                                                 {"fold-constants", fold_constants},
                                                                 {"eliminate-dead-code", eliminate_dead_code}});
    REQUIRE(before.is_ok());
    Expected<Graph> after = schedule(*before);
    REQUIRE(after.is_ok());
    INFO("peak before " << peak(*before) << ", after " << peak(*after));
    CHECK(peak(*after) < peak(*before));
    // The same nodes, in another order that is still topological (the evaluator would fail otherwise).
    REQUIRE(after->nodes.size() == before->nodes.size());
    std::multiset<std::string> names_before, names_after;
    for (const Node& n : before->nodes) names_before.insert(n.name);
    for (const Node& n : after->nodes) names_after.insert(n.name);
    CHECK(names_before == names_after);
    require_same_outputs(*before, *after, random_inputs(*before, 11));
    // The planned arena follows: never above the file order's.
    CHECK(plan_memory(*after, 16).arena_bytes <= plan_memory(*before, 16).arena_bytes);
    // A second run keeps the order (it is already the best candidate).
    Expected<Graph> again = schedule(*after);
    REQUIRE(again.is_ok());
    CHECK(peak(*again) == peak(*after));
}

}  // namespace

TEST_CASE("schedule: Inception-like branches run one after the other", "[passes][schedule]") {
    // Three branches expand x to 16 channels then pool to 1x1; the file runs every expansion first.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 8, 8});
    for (const char* b : {"a", "b", "c"}) conv1x1(m, "x", std::string("big_") + b, 2, 16);
    for (const char* b : {"a", "b", "c"})
        add_node(m, "GlobalAveragePool", {std::string("big_") + b}, {std::string("pool_") + b});
    concat(m, {"pool_a", "pool_b", "pool_c"}, "y");
    add_output(m, "y", kFloat, {1, 48, 1, 1});
    check_schedule_improves(m);
}

TEST_CASE("schedule: DenseNet-like block with deep-supervision heads", "[passes][schedule]") {
    // h_i = Conv(Concat(h_0..h_{i-1})) (dense connectivity); each h_i also feeds a head that expands it
    // (big) and pools it. The file computes the dense chain, then every expansion, then every pool.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 8, 8});
    std::vector<std::string> feats = {"x"};
    for (int i = 1; i <= 3; ++i) {
        std::string in = "x";
        if (feats.size() > 1) {
            in = "cat" + std::to_string(i);
            concat(m, feats, in);
        }
        std::string h = "h" + std::to_string(i);
        conv1x1(m, in, h, int64_t(2 * feats.size()), 2);
        feats.push_back(h);
    }
    for (int i = 1; i <= 3; ++i) conv1x1(m, "h" + std::to_string(i), "head" + std::to_string(i), 2, 24);
    std::vector<std::string> pools;
    for (int i = 1; i <= 3; ++i) {
        pools.push_back("pool" + std::to_string(i));
        add_node(m, "GlobalAveragePool", {"head" + std::to_string(i)}, {pools.back()});
    }
    concat(m, pools, "y");
    add_output(m, "y", kFloat, {1, 72, 1, 1});
    check_schedule_improves(m);
}

TEST_CASE("schedule: U-Net-like skip computed right before its use", "[passes][schedule]") {
    // Encoder e1 -> pool -> e2 -> bottleneck -> upsample (Tile), merged with a skip projection of e1 that
    // has 8x e1's size. The file computes the skip right after e1 and holds it across the whole encoder;
    // holding the small e1 instead and projecting it just before the merge needs less.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 16, 16});
    conv1x1(m, "x", "e1", 2, 2);       // [1,2,16,16]
    conv1x1(m, "e1", "skip1", 2, 16);  // [1,16,16,16]
    onnx::NodeProto* pool = add_node(m, "MaxPool", {"e1"}, {"p1"}, "pool1");  // [1,2,8,8]
    set_ints(pool, "kernel_shape", {2, 2});
    set_ints(pool, "strides", {2, 2});
    conv1x1(m, "p1", "e2", 2, 16);    // [1,16,8,8]
    conv1x1(m, "e2", "bott", 16, 1);  // [1,1,8,8]
    add_initializer(m, int64_tensor("reps", {4}, {1, 1, 2, 2}));
    add_node(m, "Tile", {"bott", "reps"}, {"up"}, "up");  // [1,1,16,16]
    add_node(m, "Mul", {"skip1", "up"}, {"merged"}, "merge");
    conv1x1(m, "merged", "y", 16, 1);
    add_output(m, "y", kFloat, {1, 1, 16, 16});
    check_schedule_improves(m);
}

TEST_CASE("schedule: random graphs keep their outputs and never get a larger peak", "[passes][schedule]") {
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        INFO("seed " << seed);
        Expected<Graph> g = import_model(random_elementwise_model(seed, seed % 2 ? 12 : 30));
        REQUIRE(g.is_ok());
        Graph before = inferred(std::move(*g));
        Expected<Graph> after = schedule(before);
        REQUIRE(after.is_ok());
        CHECK(peak(*after) <= peak(before));
        CHECK(after->nodes.size() == before.nodes.size());
        require_same_outputs(before, *after, random_inputs(before, seed));
    }
}

TEST_CASE("schedule is the last pass of the pipeline", "[passes][schedule]") {
    std::vector<Pass> p = pipeline_for_target("portable");
    REQUIRE(!p.empty());
    CHECK(std::string(p.back().name) == "schedule");
}
