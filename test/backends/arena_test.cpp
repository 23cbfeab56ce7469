// The arena in generated code: alias layers emit only their comment, in-place layers pass one pointer twice,
// and `--arena external` moves the arena to the caller without changing a single output byte.
#include <catch2/catch.hpp>

#include "driver/compile_model.h"
#include "driver/exit_codes.h"
#include "eval/evaluator.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// x -> Relu -> Flatten (alias) -> Sigmoid (in place) -> Mul by w (in place) -> Reshape into the output (a copy:
// outputs are the caller's buffers); a second branch reads the Relu result after the alias.
onnx::ModelProto sharing_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 3, 4});
    add_initializer(m, raw_float_tensor("w", {12}, {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12}));
    add_initializer(m, int64_tensor("shape", {3}, {2, 3, 4}));
    add_node(m, "Relu", {"x"}, {"a"}, "relu");
    add_node(m, "Flatten", {"a"}, {"f"}, "flatten");
    add_node(m, "Sigmoid", {"a"}, {"s2"}, "side");
    add_node(m, "Sigmoid", {"f"}, {"s"}, "sigmoid");
    add_node(m, "Mul", {"s", "w"}, {"t"}, "scale");
    add_node(m, "Reshape", {"t", "shape"}, {"y"}, "reshape");
    add_output(m, "y", kFloat, {2, 3, 4});
    add_output(m, "s2", kFloat, {2, 3, 4});
    return m;
}

CompiledModel compile(const std::string& model_path, const std::string& name, bool external) {
    CompileOptions o;
    o.model_path = model_path;
    o.name = name;
    o.external_arena = external;
    Expected<CompiledModel> r = compile_model(o, [](const std::string&) {});
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

}  // namespace

TEST_CASE("alias layers emit only their comment; in-place layers share one buffer", "[backends][arena]") {
    TempDir dir;
    write_model(sharing_model(), dir.file("model.onnx"));
    CompiledModel c = compile(dir.file("model.onnx"), "net", false);
    const std::string& src = c.code.files.at("net.cpp");
    INFO(src);
    CHECK(c.plan.elided.size() == 1);  // Flatten; the Reshape into the output y copies
    CHECK(contains(src, "Flatten f32[2x3x4] -> f32[2x12] (alias: no copy)"));
    CHECK(contains(src, "alias of a"));
    CHECK(contains(src, "in-place of"));
    // Relu's result, its Flatten alias and the two in-place results are one 96-byte buffer.
    CHECK(c.plan.arena_bytes == 96);
    CHECK(c.code.arena_bytes == 96);
    CHECK(contains(src, "alignas(kArenaAlignment) static uint8_t arena[kArenaBytes];"));
    CHECK(contains(c.code.files.at("net.h"), "constexpr std::size_t kArenaAlignment = 16;"));
}

TEST_CASE("option --arena external: the caller's arena, the same outputs", "[backends][arena]") {
    TempDir dir;
    write_model(sharing_model(), dir.file("model.onnx"));
    CompiledModel in = compile(dir.file("model.onnx"), "net_int", false);
    CompiledModel ex = compile(dir.file("model.onnx"), "net_ext", true);
    const std::string& h = ex.code.files.at("net_ext.h");
    const std::string& src = ex.code.files.at("net_ext.cpp");
    CHECK(contains(h, "int run(uint8_t* arena, const float* in_x, float* out_y, float* out_s2);"));
    CHECK(contains(h, "int run_buffers(uint8_t* arena, const void* const* inputs, void* const* outputs);"));
    CHECK(contains(h, "extern \"C\" int net_ext_run(uint8_t* arena, const float* in_x, float* out_y, float* out_s2);"));
    CHECK(contains(h, "constexpr std::size_t kArenaAlignment = 16;"));
    CHECK_FALSE(contains(src, "static uint8_t arena"));
    CHECK(ex.code.arena_bytes == in.code.arena_bytes);

    // Both models in one program, built with the flags generated code promises; outputs byte for byte equal.
    std::map<std::string, std::string> files = in.code.files;
    for (const auto& kv : ex.code.files) files[kv.first] = kv.second;
    files["main.cpp"] = R"(#include "net_int.h"
#include "net_ext.h"
#include <cstring>
int main() {
    float x[24], y1[24], s1[24], y2[24], s2[24];
    for (int i = 0; i < 24; ++i) x[i] = float(i - 12) * 0.25f;
    alignas(net_ext::kArenaAlignment) static uint8_t arena[net_ext::kArenaBytes];
    std::memset(arena, 0x7f, sizeof arena);
    if (net_int::run(x, y1, s1) != 0 || net_ext::run(arena, x, y2, s2) != 0) return 2;
    if (net_ext_run(arena, x, y2, s2) != 0) return 3;  // and again: no state is kept in the arena
    return std::memcmp(y1, y2, sizeof y1) == 0 && std::memcmp(s1, s2, sizeof s1) == 0 ? 0 : 1;
}
)";
    REQUIRE(write_files_atomically(dir.file("gen"), files).is_ok());
    std::vector<std::string> cmd = {KILN_TEST_CXX, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1"};
    for (const auto& kv : files)
        if (kv.first.size() > 4 && kv.first.compare(kv.first.size() - 4, 4, ".cpp") == 0) cmd.push_back(dir.file("gen/" + kv.first));
    cmd.push_back("-o");
    cmd.push_back(dir.file("gen/both"));
    CommandResult b = run_command(cmd);
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    CommandResult r = run_command({dir.file("gen/both")});
    CHECK(r.exit_code == 0);
}

TEST_CASE("kiln check --arena external passes an aligned arena to the harness", "[backends][arena]") {
    TempDir dir;
    onnx::ModelProto m = sharing_model();
    write_model(m, dir.file("model.onnx"));
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    REQUIRE(r.is_ok());
    std::vector<Tensor> inputs = random_inputs(*r, 5);
    write_data_set(dir.file("test_data_set_0"), inputs, evaluate_ok(*r, inputs));
    for (const char* mode : {"internal", "external"}) {
        CommandResult c = run_kiln({"check", dir.file("model.onnx"), "--arena", mode});
        INFO(mode << ": " << c.out << c.err);
        CHECK(c.exit_code == kExitOk);
    }
    CommandResult bad = run_kiln({"check", dir.file("model.onnx"), "--arena", "heap"});
    CHECK(bad.exit_code != kExitOk);
}

TEST_CASE("Concat in place: producers write into the output, the generated code still computes it", "[backends][arena]") {
    // Three branches concatenated on channels (all dims before the axis are 1), then a copy into the output.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 3, 5});
    add_initializer(m, raw_float_tensor("w", {1, 3, 1}, {0.5f, -1.0f, 2.0f}));
    add_node(m, "Mul", {"x", "w"}, {"a"}, "a");
    add_node(m, "Sigmoid", {"a"}, {"b"}, "b");  // in place over a? no: a is read by the Concat too
    add_node(m, "Add", {"x", "w"}, {"c"}, "c");
    onnx::NodeProto* cat = add_node(m, "Concat", {"a", "b", "c"}, {"cat"}, "cat");
    onnx::AttributeProto* axis = cat->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(1);
    add_node(m, "Tanh", {"cat"}, {"y"}, "tanh");
    add_output(m, "y", kFloat, {1, 9, 5});
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    CompiledModel c = compile(dir.file("model.onnx"), "net", false);
    const std::string& src = c.code.files.at("net.cpp");
    INFO(src);
    CHECK(contains(src, "Concat f32[1x3x5], f32[1x3x5], f32[1x3x5] -> f32[1x9x5] (in place: its inputs were written into it)"));
    CHECK(c.plan.arena_bytes == 192);  // 180 bytes of cat, aligned; nothing else
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    REQUIRE(r.is_ok());
    std::vector<Tensor> inputs = random_inputs(*r, 9);
    write_data_set(dir.file("test_data_set_0"), inputs, evaluate_ok(*r, inputs));
    for (const char* mode : {"internal", "external"}) {
        CommandResult k = run_kiln({"check", dir.file("model.onnx"), "--arena", mode});
        INFO(mode << ": " << k.out << k.err);
        CHECK(k.exit_code == kExitOk);
    }
}
