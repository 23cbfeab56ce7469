// Hostile input: empty, random and truncated files, byte flips, undefined and duplicated names, cycles.
// Every one must end in a clean error (or a valid graph), never a crash.
#include <random>

#include <catch2/catch.hpp>

#include "backends/common/emit_module.h"
#include "passes/pass.h"
#include "passes/plan_memory.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Status import_bytes(const std::string& bytes) {
    Expected<Graph> g = import_onnx_bytes(bytes, "", {}, "hostile.onnx");
    return g.is_ok() ? Status::ok() : g.status();
}

// A model with an initializer, attributes and two nodes, so truncation cuts through every kind of field.
onnx::ModelProto rich_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "input", kFloat, {2, 4});
    add_initializer(m, raw_float_tensor("weight", {4}, {0.5f, -1, 2, 0.25f}));
    add_initializer(m, typed_float_tensor("bias", {4}, {1, 2, 3, 4}));
    add_node(m, "Mul", {"input", "weight"}, {"scaled"}, "scale");
    add_node(m, "Add", {"scaled", "bias"}, {"output"}, "shift");
    add_output(m, "output", kFloat, {2, 4});
    return m;
}

// Whatever imports must also survive the rest of the compiler.
Status compile_bytes(const std::string& bytes) {
    Expected<Graph> g = import_onnx_bytes(bytes, "", {}, "hostile.onnx");
    if (!g) return g.status();
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    if (!r) return r.status();
    MemoryPlan plan = plan_memory(*r, 16);
    EmitOptions eo{"net", "hostile.onnx", find_target("portable")};
    Expected<GeneratedCode> code = emit_module(*r, plan, eo);
    return code.is_ok() ? Status::ok() : code.status();
}

}  // namespace

TEST_CASE("an empty file is not a model", "[frontend][hostile]") {
    Status s = import_bytes("");
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message() == "hostile.onnx: the file is empty");
}

TEST_CASE("random bytes are rejected cleanly", "[frontend][hostile]") {
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 300; ++trial) {
        std::string bytes(std::size_t(1 + rng() % 512), '\0');
        for (char& c : bytes) c = char(rng());
        Status s = import_bytes(bytes);
        INFO("trial " << trial);
        REQUIRE_FALSE(s.is_ok());
        CHECK(s.message().rfind("hostile.onnx: ", 0) == 0);
        CHECK(s.message().find('\n') == std::string::npos);
    }
}

TEST_CASE("a model cut at every length fails cleanly", "[frontend][hostile]") {
    const std::string full = serialize(rich_model());
    REQUIRE(compile_bytes(full).is_ok());
    int accepted = 0;
    for (std::size_t len = 0; len < full.size(); ++len) {
        Status s = compile_bytes(full.substr(0, len));
        // A cut between top-level fields can leave a valid but different model; it must then compile.
        if (s.is_ok()) {
            ++accepted;
            continue;
        }
        INFO("cut at " << len << ": " << s.message());
        CHECK_FALSE(s.message().empty());
        CHECK(s.message().find('\n') == std::string::npos);
    }
    // The graph is one field near the end: almost every cut must be refused.
    CHECK(accepted < 4);
}

TEST_CASE("models with flipped bytes import or fail cleanly", "[frontend][hostile]") {
    const std::string full = serialize(rich_model());
    std::mt19937 rng(99);
    for (int trial = 0; trial < 2000; ++trial) {
        std::string bytes = full;
        int flips = 1 + int(rng() % 3);
        for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] ^= char(1u << (rng() % 8));
        Status s = compile_bytes(bytes);
        if (!s.is_ok()) {
            INFO("trial " << trial << ": " << s.message());
            REQUIRE_FALSE(s.message().empty());
        }
    }
}

TEST_CASE("a node reading an undefined value names the node and the value", "[frontend][hostile]") {
    onnx::ModelProto m = relu_model();
    add_node(m, "Add", {"y", "nowhere"}, {"z"}, "adder");
    add_output(m, "z", kFloat, {2, 3});
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "node 'adder' (Add): input 'nowhere' is not produced by any node"));
}

TEST_CASE("a cycle is reported, not looped on", "[frontend][hostile]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    add_node(m, "Add", {"x", "b"}, {"a"}, "n1");
    add_node(m, "Relu", {"a"}, {"b"}, "n2");
    add_output(m, "b", kFloat, {2});
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "or the graph has a cycle"));

    onnx::ModelProto self = make_model();
    add_input(self, "x", kFloat, {2});
    add_node(self, "Add", {"x", "s"}, {"s"}, "selfloop");
    add_output(self, "s", kFloat, {2});
    Expected<Graph> gs = import_model(self);
    REQUIRE_FALSE(gs.is_ok());
    CHECK(contains(gs.status().message(), "node 'selfloop'"));
}

TEST_CASE("a value defined twice is rejected", "[frontend][hostile]") {
    SECTION("two nodes write the same output") {
        onnx::ModelProto m = relu_model();
        add_node(m, "Relu", {"x"}, {"y"}, "again");
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "value 'y' is defined more than once"));
    }
    SECTION("a node overwrites a graph input") {
        onnx::ModelProto m = relu_model();
        add_node(m, "Relu", {"y"}, {"x"}, "clobber");
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "value 'x' is defined more than once"));
    }
    SECTION("a node overwrites an initializer") {
        onnx::ModelProto m = relu_model();
        add_initializer(m, raw_float_tensor("w", {1}, {1}));
        add_node(m, "Relu", {"y"}, {"w"}, "clobber");
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "node 'clobber' (Relu, opset 13): value 'w' is defined more than once"));
    }
    SECTION("two initializers share a name") {
        onnx::ModelProto m = relu_model();
        add_initializer(m, raw_float_tensor("w", {1}, {1}));
        add_initializer(m, raw_float_tensor("w", {1}, {2}));
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "value 'w' is defined more than once"));
    }
    SECTION("two graph inputs share a name") {
        onnx::ModelProto m = relu_model();
        add_input(m, "x", kFloat, {2, 3});
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "'x'"));
    }
    SECTION("one node lists the same output twice") {
        onnx::ModelProto m = relu_model();
        m.mutable_graph()->mutable_node(0)->add_output("y");
        Expected<Graph> g = import_model(m);
        REQUIRE_FALSE(g.is_ok());
        CHECK(contains(g.status().message(), "value 'y' is defined more than once"));
    }
}

TEST_CASE("an initializer without a name is rejected", "[frontend][hostile]") {
    onnx::ModelProto m = relu_model();
    add_initializer(m, raw_float_tensor("", {1}, {1}));
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "an initializer has no name"));
}

TEST_CASE("sparse initializers are rejected", "[frontend][hostile]") {
    onnx::ModelProto m = relu_model();
    auto* sp = m.mutable_graph()->add_sparse_initializer();
    *sp->mutable_values() = raw_float_tensor("s", {1}, {1});
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "sparse initializers are not supported"));
}
