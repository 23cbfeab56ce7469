// plan_memory: properties of the greedy planner over random lifetimes, exact results on small cases, and a
// simulated run of whole graphs through one arena at the planned offsets, compared with the evaluator.
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include "eval/evaluator.h"
#include "passes/pass.h"
#include "passes/plan_memory.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {

std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }

void require_valid_layout(const std::vector<BufferRequest>& req, const ArenaLayout& l, std::size_t alignment) {
    REQUIRE(l.offsets.size() == req.size());
    std::size_t sum = 0;
    for (std::size_t i = 0; i < req.size(); ++i) {
        sum += align_up(req[i].bytes, alignment);
        CHECK(l.offsets[i] % alignment == 0);
        CHECK(l.offsets[i] + req[i].bytes <= l.total_bytes);
        for (std::size_t j = i + 1; j < req.size(); ++j) {
            bool live_together = req[i].first <= req[j].last && req[j].first <= req[i].last;
            if (!live_together || req[i].bytes == 0 || req[j].bytes == 0) continue;
            bool apart = l.offsets[i] + req[i].bytes <= l.offsets[j] || l.offsets[j] + req[j].bytes <= l.offsets[i];
            INFO("buffers " << i << " and " << j);
            CHECK(apart);
        }
    }
    CHECK(l.total_bytes % alignment == 0);
    CHECK(l.lower_bound_bytes <= l.total_bytes);
    CHECK(l.total_bytes <= sum);
}

}  // namespace

TEST_CASE("greedy planner: random lifetimes never overlap in memory", "[passes][plan_memory]") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
        std::size_t alignment = std::size_t(1) << (rng() % 7);  // 1..64
        std::size_t n = rng() % 40;
        int steps = 1 + int(rng() % 30);
        std::vector<BufferRequest> req;
        for (std::size_t i = 0; i < n; ++i) {
            int a = int(rng() % unsigned(steps)), b = int(rng() % unsigned(steps));
            std::size_t bytes = rng() % 8 == 0 ? 0 : 1 + rng() % 1000;
            req.push_back({bytes, std::min(a, b), std::max(a, b)});
        }
        INFO("trial " << trial << " alignment " << alignment);
        require_valid_layout(req, plan_greedy_by_size(req, alignment), alignment);
    }
}

TEST_CASE("every strategy: random lifetimes never overlap, bound <= arena <= TFLM baseline", "[passes][plan_memory]") {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 300; ++trial) {
        std::size_t alignment = std::size_t(1) << (rng() % 7);
        std::size_t n = rng() % (trial % 2 ? 12 : 40);  // half small enough for the exact search
        int steps = 1 + int(rng() % 20);
        std::vector<BufferRequest> req;
        for (std::size_t i = 0; i < n; ++i) {
            int a = int(rng() % unsigned(steps)), b = int(rng() % unsigned(steps));
            std::size_t bytes = rng() % 8 == 0 ? 0 : 1 + rng() % 1000;
            req.push_back({bytes, std::min(a, b), std::max(a, b)});
        }
        INFO("trial " << trial << " alignment " << alignment);
        ArenaLayout tflm = plan_greedy_by_size(req, alignment);
        require_valid_layout(req, plan_greedy_by_size_best_fit(req, alignment), alignment);
        require_valid_layout(req, plan_greedy_by_breadth(req, alignment), alignment);
        require_valid_layout(req, plan_exact(req, alignment, tflm, 2000), alignment);
        ArenaLayout best = plan_best(req, alignment);
        require_valid_layout(req, best, alignment);
        CHECK(best.total_bytes <= tflm.total_bytes);
        CHECK(best.lower_bound_bytes == tflm.lower_bound_bytes);
        CHECK(best.lower_bound_bytes == live_bytes_lower_bound(req, alignment));
        CHECK(!best.strategy.empty());
    }
}

TEST_CASE("exact search is optimal where every greedy strategy is not", "[passes][plan_memory]") {
    // Found by random search: the 96-byte buffer placed first (largest) at 0 pushes the two 48-byte ones
    // apart; optimal puts 80 and 96 at 0 (never live together) and stacks the 48s above 80: 176 = the bound.
    std::vector<BufferRequest> req = {{48, 1, 3}, {48, 2, 3}, {96, 0, 1}, {80, 2, 3}};
    ArenaLayout first_fit = plan_greedy_by_size(req, 16);
    ArenaLayout best_fit = plan_greedy_by_size_best_fit(req, 16);
    ArenaLayout breadth = plan_greedy_by_breadth(req, 16);
    CHECK(first_fit.total_bytes == 192);
    CHECK(best_fit.total_bytes > 176);
    CHECK(breadth.total_bytes > 176);
    ArenaLayout exact = plan_exact(req, 16, first_fit);
    require_valid_layout(req, exact, 16);
    CHECK(exact.total_bytes == 176);
    CHECK(exact.lower_bound_bytes == 176);
    CHECK(exact.optimal);
    CHECK(exact.strategy == "exact");
    ArenaLayout best = plan_best(req, 16);
    CHECK(best.total_bytes == 176);
    CHECK(best.strategy == "exact");
}

TEST_CASE("exact search proves a greedy layout optimal when nothing beats it", "[passes][plan_memory]") {
    // Three buffers live together: the sum is forced, and the search has nothing to improve.
    std::vector<BufferRequest> req = {{10, 0, 2}, {20, 0, 2}, {30, 1, 1}};
    ArenaLayout start = plan_greedy_by_size(req, 16);
    ArenaLayout exact = plan_exact(req, 16, start);
    CHECK(exact.total_bytes == start.total_bytes);
    CHECK(exact.optimal);
    // With a budget too small to finish, the start layout is kept and not claimed optimal.
    std::vector<BufferRequest> many;
    std::mt19937 rng(3);
    for (int i = 0; i < 14; ++i) many.push_back({std::size_t(16 + rng() % 200), int(rng() % 4), 4 + int(rng() % 4)});
    ArenaLayout s2 = plan_greedy_by_size(many, 16);
    ArenaLayout cut = plan_exact(many, 16, s2, 3);
    CHECK(cut.total_bytes <= s2.total_bytes);
    if (cut.total_bytes > cut.lower_bound_bytes) CHECK_FALSE(cut.optimal);
}

TEST_CASE("greedy planner: exact results on small cases", "[passes][plan_memory]") {
    SECTION("no requests") {
        ArenaLayout l = plan_greedy_by_size({}, 16);
        CHECK(l.total_bytes == 0);
        CHECK(l.lower_bound_bytes == 0);
    }
    SECTION("disjoint lifetimes share one slot") {
        ArenaLayout l = plan_greedy_by_size({{100, 0, 0}, {60, 1, 1}, {100, 2, 2}}, 16);
        CHECK(l.offsets == std::vector<std::size_t>{0, 0, 0});
        CHECK(l.total_bytes == 112);
        CHECK(l.lower_bound_bytes == 112);
    }
    SECTION("all live together: the sum of aligned sizes") {
        ArenaLayout l = plan_greedy_by_size({{10, 0, 3}, {20, 1, 2}, {30, 2, 2}}, 16);
        CHECK(l.total_bytes == 16 + 32 + 32);
        CHECK(l.lower_bound_bytes == 80);
    }
    SECTION("a chain reuses memory two steps back") {
        // a [0,1], b [1,2], c [2,3]: a and b overlap, b and c overlap, a and c do not.
        ArenaLayout l = plan_greedy_by_size({{64, 0, 1}, {64, 1, 2}, {64, 2, 3}}, 64);
        CHECK(l.total_bytes == 128);
        CHECK(l.offsets[0] == l.offsets[2]);
        CHECK(l.offsets[0] != l.offsets[1]);
    }
    SECTION("zero-byte buffers take no space") {
        ArenaLayout l = plan_greedy_by_size({{0, 0, 5}, {0, 0, 5}}, 16);
        CHECK(l.total_bytes == 0);
    }
}

TEST_CASE("plan_memory plans intermediates only", "[passes][plan_memory]") {
    // x -> a -> b -> c -> y, Relu each; w is a weight read by the last node.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {4, 4});
    add_initializer(m, raw_float_tensor("w", {4}, {1, 2, 3, 4}));
    add_node(m, "Relu", {"x"}, {"a"});
    add_node(m, "Relu", {"a"}, {"b"});
    add_node(m, "Relu", {"b"}, {"c"});
    add_node(m, "Add", {"c", "w"}, {"y"});
    add_output(m, "y", kFloat, {4, 4});
    Graph g = inferred(*import_model(m));
    MemoryPlan plan = plan_memory(g, 16);
    std::set<std::string> planned;
    for (const auto& [id, off] : plan.offset) planned.insert(g.value(id).name);
    CHECK(planned == std::set<std::string>{"a", "b", "c"});
    auto off = [&](const char* n) { return plan.offset.at(g.find_value(n)); };
    // Relu runs in place: each result overwrites its input, which nothing reads afterwards.
    CHECK(off("a") == off("b"));
    CHECK(off("b") == off("c"));
    CHECK(plan.sharing.at(g.find_value("b")) == "in-place");
    CHECK(plan.shares.at(g.find_value("c")) == g.find_value("a"));
    CHECK(plan.arena_bytes == 64);
    CHECK(plan.lower_bound_bytes == 64);
    CHECK(plan.naive_bytes == 3 * 64);
    CHECK(plan.size.at(g.find_value("b")) == 64);
    // Without sharing (TensorFlow Lite Micro's view) a node's output never shares its input's memory.
    CHECK(tflm_baseline_bytes(g, 16) == 128);
}

TEST_CASE("plan_memory: in place only when the node is the input's last reader", "[passes][plan_memory]") {
    // a feeds both b = Relu(a) and y = Add(b, a): b cannot overwrite a; y is a graph output (caller's buffer).
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {4, 4});
    add_node(m, "Relu", {"x"}, {"a"});
    add_node(m, "Relu", {"a"}, {"b"});
    add_node(m, "Add", {"b", "a"}, {"y"});
    add_output(m, "y", kFloat, {4, 4});
    Graph g = inferred(*import_model(m));
    MemoryPlan plan = plan_memory(g, 16);
    CHECK(plan.offset.at(g.find_value("a")) != plan.offset.at(g.find_value("b")));
    CHECK(plan.shares.empty());
    CHECK(!plan.offset.count(g.find_value("x")));  // graph inputs and outputs are never planned
    CHECK(!plan.offset.count(g.find_value("y")));
}

TEST_CASE("plan_memory: reshape-like ops alias their input, except into a graph output", "[passes][plan_memory]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 8});
    add_node(m, "Relu", {"x"}, {"a"});
    add_node(m, "Flatten", {"a"}, {"f"});
    add_node(m, "Sigmoid", {"a"}, {"s"});  // reads a after the alias: nothing may overwrite a before
    add_node(m, "Add", {"f", "f"}, {"z"});
    add_node(m, "Reshape", {"z", "shape"}, {"y"});
    add_initializer(m, int64_tensor("shape", {2}, {2, 8}));
    add_output(m, "s", kFloat, {2, 8});
    add_output(m, "y", kFloat, {2, 8});
    Graph g = inferred(*import_model(m));
    MemoryPlan plan = plan_memory(g, 16);
    ValueId a = g.find_value("a"), f = g.find_value("f"), z = g.find_value("z");
    CHECK(plan.shares.at(f) == a);
    CHECK(plan.sharing.at(f) == "alias");
    CHECK(plan.offset.at(f) == plan.offset.at(a));
    CHECK(plan.elided.size() == 1);  // the Flatten; the Reshape into the graph output still copies
    CHECK(g.nodes[std::size_t(*plan.elided.begin())].op_type == "Flatten");
    // Add(f, f) runs in place over f: its group {a, f} is last read there (Sigmoid ran before).
    CHECK(plan.shares.at(z) == a);
    CHECK(plan.arena_bytes == 64);
}

namespace {

// Runs g node by node with every planned value living only in one arena at its planned offset, the way
// generated code does. A layout that lets a live value be overwritten changes the outputs.
std::vector<Tensor> run_in_arena(const Graph& g, const MemoryPlan& plan, const std::vector<Tensor>& inputs) {
    std::vector<uint8_t> arena(plan.arena_bytes + 1, 0xCD);
    std::map<ValueId, Tensor> unplanned;  // graph inputs and outputs
    for (std::size_t i = 0; i < inputs.size(); ++i) unplanned[g.inputs[i]] = inputs[i];
    auto load = [&](ValueId id) {
        const Value& v = g.value(id);
        if (v.data) return *v.data;
        if (unplanned.count(id)) return unplanned.at(id);
        Tensor t(v.dtype, v.shape);
        std::memcpy(t.raw(), arena.data() + plan.offset.at(id), t.nbytes());
        return t;
    };
    for (const Node& n : g.nodes) {
        // Kernels write outputs while reading inputs: their planned bytes must not overlap, unless the plan
        // shares them on purpose (in place, alias: the output is planned on its input's bytes).
        auto owner = [&](ValueId v) { return plan.shares.count(v) ? plan.shares.at(v) : v; };
        for (ValueId i : n.inputs)
            for (ValueId o : n.outputs) {
                auto pi = plan.offset.find(i), po = plan.offset.find(o);
                if (pi == plan.offset.end() || po == plan.offset.end()) continue;
                if (owner(i) == owner(o)) continue;
                CHECK((pi->second + g.value(i).nbytes() <= po->second || po->second + g.value(o).nbytes() <= pi->second));
            }
        std::vector<Tensor> ins, outs;
        for (ValueId id : n.inputs) ins.push_back(load(id));
        for (ValueId id : n.outputs) outs.emplace_back(g.value(id).dtype, g.value(id).shape);
        std::vector<const Tensor*> in_ptrs;
        std::vector<Tensor*> out_ptrs;
        for (const Tensor& t : ins) in_ptrs.push_back(&t);
        for (Tensor& t : outs) out_ptrs.push_back(&t);
        REQUIRE(eval_node(g, n, in_ptrs, out_ptrs).is_ok());
        for (std::size_t i = 0; i < outs.size(); ++i) {
            ValueId id = n.outputs[i];
            auto it = plan.offset.find(id);
            if (it == plan.offset.end()) {
                unplanned[id] = outs[i];
            } else {
                REQUIRE(it->second + outs[i].nbytes() <= plan.arena_bytes);
                std::memcpy(arena.data() + it->second, outs[i].raw(), outs[i].nbytes());
            }
        }
    }
    REQUIRE(arena.back() == 0xCD);  // nothing written past the planned size
    std::vector<Tensor> result;
    for (ValueId id : g.outputs) result.push_back(load(id));
    return result;
}

}  // namespace

TEST_CASE("random graphs run through the planned arena match the evaluator", "[passes][plan_memory]") {
    for (uint32_t seed = 1; seed <= 60; ++seed) {
        INFO("seed " << seed);
        Expected<Graph> g = import_model(random_elementwise_model(seed, 25));
        REQUIRE(g.is_ok());
        Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
        INFO(r.status().message());
        REQUIRE(r.is_ok());
        for (std::size_t alignment : {std::size_t(4), std::size_t(64)}) {
            MemoryPlan plan = plan_memory(*r, alignment);
            CHECK(plan.lower_bound_bytes <= plan.arena_bytes);
            for (const auto& [id, off] : plan.offset) CHECK(off % alignment == 0);
            std::vector<Tensor> inputs = random_inputs(*r, seed);
            std::vector<Tensor> want = evaluate_ok(*r, inputs);
            std::vector<Tensor> got = run_in_arena(*r, plan, inputs);
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].same_bytes(want[i]));
        }
    }
}

namespace {
// a, b, e = x * w_k; c1 = Concat(a, b); d = Sigmoid(c1); c2 = Concat(c1, e); y = c2 + 1, s = d: the parts are
// written straight into c2, c1 included (a Concat nested in another).
onnx::ModelProto nested_concat_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 4, 4});
    // Different weights: equal ones would make a, b and e one value (eliminate-common-subexpressions).
    add_initializer(m, raw_float_tensor("w1", {1, 2, 1, 1}, {0.5f, -2.0f}));
    add_initializer(m, raw_float_tensor("w2", {1, 2, 1, 1}, {1.5f, -3.0f}));
    add_initializer(m, raw_float_tensor("w3", {1, 2, 1, 1}, {2.5f, 0.25f}));
    add_initializer(m, raw_float_tensor("one", {1}, {1.0f}));
    add_node(m, "Mul", {"x", "w1"}, {"a"}, "a");
    add_node(m, "Mul", {"x", "w2"}, {"b"}, "b");
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    add_node(m, "Concat", {"a", "b"}, {"c1"}, "c1")->add_attribute()->CopyFrom(axis);
    add_node(m, "Sigmoid", {"c1"}, {"d"}, "d");
    add_node(m, "Mul", {"x", "w3"}, {"e"}, "e");
    add_node(m, "Concat", {"c1", "e"}, {"c2"}, "c2")->add_attribute()->CopyFrom(axis);
    add_node(m, "Add", {"c2", "one"}, {"y"}, "y");
    add_output(m, "y", kFloat, {1, 6, 4, 4});
    add_output(m, "d", kFloat, {1, 4, 4, 4});
    return m;
}
}  // namespace

TEST_CASE("plan_memory: Concat in place, nested, matches the evaluator through the arena", "[passes][plan_memory]") {
    Expected<Graph> imported = import_model(nested_concat_model());
    REQUIRE(imported.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*imported), pipeline_for_target("portable"));
    REQUIRE(r.is_ok());
    const Graph& g = *r;
    MemoryPlan plan = plan_memory(g, 16);
    auto off = [&](const char* n) { return plan.offset.at(g.find_value(n)); };
    CHECK(plan.elided.size() == 2);  // both Concats emit no code
    CHECK(off("c1") == off("c2"));
    CHECK(off("a") == off("c2"));
    CHECK(off("b") == off("c2") + 128);
    CHECK(off("e") == off("c2") + 256);
    CHECK(plan.sharing.at(g.find_value("b")) == "concat-part");
    CHECK(plan.shares.at(g.find_value("a")) == g.find_value("c2"));
    CHECK(plan.arena_bytes == 384);  // c2's 384 bytes hold everything
    std::vector<Tensor> inputs = random_inputs(g, 3);
    std::vector<Tensor> want = evaluate_ok(g, inputs), got = run_in_arena(g, plan, inputs);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].same_bytes(want[i]));
}

TEST_CASE("plan_memory: no Concat in place for graph inputs or a value used twice", "[passes][plan_memory]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 4});
    add_node(m, "Relu", {"x"}, {"a"});
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    add_node(m, "Concat", {"a", "a"}, {"c"})->add_attribute()->CopyFrom(axis);
    add_node(m, "Concat", {"x", "c"}, {"c2"})->add_attribute()->CopyFrom(axis);
    add_node(m, "Relu", {"c2"}, {"y"});
    add_output(m, "y", kFloat, {1, 6, 4});
    Graph g = inferred(*import_model(m));
    MemoryPlan plan = plan_memory(g, 16);
    CHECK(plan.elided.empty());
    CHECK(plan.shares.empty());
}

TEST_CASE("plan_memory: a Concat part computed in place moves with its whole group", "[passes][plan_memory]") {
    // a = x * w; r = Relu(a) in place over a; b = x + w; c = Concat(r, b) in place (SqueezeNet's fire module).
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 4});
    add_initializer(m, raw_float_tensor("w", {1, 2, 1}, {0.5f, -2.0f}));
    add_node(m, "Mul", {"x", "w"}, {"a"});
    add_node(m, "Relu", {"a"}, {"r"});
    add_node(m, "Add", {"x", "w"}, {"b"});
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    add_node(m, "Concat", {"r", "b"}, {"c"})->add_attribute()->CopyFrom(axis);
    add_node(m, "Tanh", {"c"}, {"y"});
    add_output(m, "y", kFloat, {1, 4, 4});
    Graph g = inferred(*import_model(m));
    MemoryPlan plan = plan_memory(g, 16);
    auto id = [&](const char* n) { return g.find_value(n); };
    CHECK(plan.sharing.at(id("a")) == "concat-part");
    CHECK(plan.sharing.at(id("r")) == "in-place");
    CHECK(plan.shares.at(id("r")) == id("c"));
    CHECK(plan.offset.at(id("a")) == plan.offset.at(id("c")));
    CHECK(plan.offset.at(id("b")) == plan.offset.at(id("c")) + 32);
    CHECK(plan.arena_bytes == 64);
    std::vector<Tensor> inputs = random_inputs(g, 4);
    std::vector<Tensor> want = evaluate_ok(g, inputs), got = run_in_arena(g, plan, inputs);
    REQUIRE(got.size() == 1);
    CHECK(got[0].same_bytes(want[0]));
}
