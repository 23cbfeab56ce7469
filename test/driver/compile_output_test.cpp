// What `kiln compile` leaves in the output folder: exactly NAME.h and NAME.cpp on success, nothing (and no stale
// files of that name) on failure, the same bytes on every run; and the IR printing flags.
#include <filesystem>

#include <catch2/catch.hpp>

#include "driver/exit_codes.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::set<std::string> listing(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

}  // namespace

TEST_CASE("compile writes NAME.h and NAME.cpp and nothing else", "[driver][compile]") {
    TempDir dir;
    write_model(relu_model(), dir.file("my-model.onnx"));
    const std::string out = dir.file("deep/nested/out");  // created on demand
    CommandResult r = run_kiln({"compile", dir.file("my-model.onnx"), "-o", out});
    INFO(r.err);
    REQUIRE(r.exit_code == kExitOk);
    CHECK(listing(out) == std::set<std::string>{"my_model.h", "my_model.cpp"});  // name sanitized from the file

    CommandResult named = run_kiln({"compile", dir.file("my-model.onnx"), "-o", out, "--name", "detector"});
    REQUIRE(named.exit_code == kExitOk);
    CHECK(listing(out) == std::set<std::string>{"my_model.h", "my_model.cpp", "detector.h", "detector.cpp"});
    CHECK(contains(read_text_file(out + "/detector.h"), "namespace detector {"));
}

TEST_CASE("a failed compile leaves no NAME.h or NAME.cpp and removes stale ones", "[driver][compile]") {
    TempDir dir;
    onnx::ModelProto bad = relu_model();
    bad.mutable_graph()->mutable_node(0)->set_op_type("DefinitelyNotAnOp");
    write_model(bad, dir.file("net.onnx"));
    const std::string out = dir.file("out");
    fs::create_directories(out);
    write_text_file(out + "/net.h", "stale header");
    write_text_file(out + "/net.cpp", "stale source");
    write_text_file(out + "/other.cpp", "not ours");
    CommandResult r = run_kiln({"compile", dir.file("net.onnx"), "-o", out});
    CHECK(r.exit_code == kExitBadModel);
    CHECK(listing(out) == std::set<std::string>{"other.cpp"});

    SECTION("with an explicit --name") {
        write_text_file(out + "/engine.h", "stale");
        write_text_file(out + "/engine.cpp", "stale");
        CommandResult n = run_kiln({"compile", dir.file("net.onnx"), "-o", out, "--name", "engine"});
        CHECK(n.exit_code == kExitBadModel);
        CHECK(listing(out) == std::set<std::string>{"other.cpp"});
    }
    SECTION("when the model file does not even exist") {
        write_text_file(out + "/ghost.h", "stale");
        CommandResult g = run_kiln({"compile", dir.file("ghost.onnx"), "-o", out});
        CHECK(g.exit_code == kExitBadModel);
        CHECK(listing(out) == std::set<std::string>{"other.cpp"});
    }
}

TEST_CASE("separate compiler runs write byte-identical files", "[driver][compile]") {
    TempDir dir;
    write_model(random_elementwise_model(42, 30), dir.file("m.onnx"));
    for (const char* out : {"a", "b"}) {
        CommandResult r = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file(out), "--name", "net"});
        REQUIRE(r.exit_code == kExitOk);
    }
    for (const char* f : {"net.h", "net.cpp"}) {
        INFO(f);
        CHECK(read_text_file(dir.file(std::string("a/") + f)) == read_text_file(dir.file(std::string("b/") + f)));
    }
}

TEST_CASE("compile prints the textual IR with --print-ir and --print-ir-after", "[driver][compile]") {
    TempDir dir;
    write_model(relu_model(), dir.file("m.onnx"));
    CommandResult all = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir-after", "all"});
    REQUIRE(all.exit_code == kExitOk);
    for (const char* pass : {"infer-shapes", "fold-constants", "eliminate-dead-code"})
        CHECK(contains(all.out, std::string("// ---- IR after ") + pass + " ----"));
    CHECK(contains(all.out, "%y: f32[2x3] = Relu(%x)  # relu1"));

    CommandResult one = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir-after", "infer-shapes"});
    REQUIRE(one.exit_code == kExitOk);
    CHECK(contains(one.out, "IR after infer-shapes"));
    CHECK_FALSE(contains(one.out, "IR after fold-constants"));

    CommandResult final_ir = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir"});
    REQUIRE(final_ir.exit_code == kExitOk);
    CHECK(contains(final_ir.out, "graph test_graph {"));
}

TEST_CASE("inspect prints layers, parameters and the arena", "[driver][inspect]") {
    TempDir dir;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {4});
    add_initializer(m, raw_float_tensor("w", {4}, {1, 2, 3, 4}));
    add_node(m, "Mul", {"x", "w"}, {"a"}, "scale");
    add_node(m, "Softmax", {"a"}, {"y"}, "act");  // not elementwise: Mul stays a layer of its own
    add_output(m, "y", kFloat, {4});
    write_model(m, dir.file("m.onnx"));
    CommandResult r = run_kiln({"inspect", dir.file("m.onnx")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == kExitOk);
    CHECK(contains(r.out, "input  'x': f32[4]"));
    CHECK(contains(r.out, "ops: Mulx1 Softmaxx1"));
    CHECK(contains(r.out, "parameters: 4 (16 bytes)"));
    CHECK(contains(r.out, "arena: 16 bytes (lower bound 16 bytes)"));
}
