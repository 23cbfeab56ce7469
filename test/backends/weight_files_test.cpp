// Weights past --weight-file-bytes go to NAME-weights-K.cpp files: each array is defined once and declared in
// NAME.cpp, the files build (every host compiler) and compute what the evaluator does, and a later compile
// removes weight files it no longer writes without touching other models' files.
#include <filesystem>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "driver/exit_codes.h"
#include "eval/evaluator.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;
namespace fs = std::filesystem;

namespace {

std::set<std::string> listing(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) names.insert(e.path().filename().string());
    return names;
}

std::vector<std::string> matches(const std::string& text, const std::regex& re) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1].str());
    return out;
}

// y = (x W - b) * s - t with W 1024 bytes and b, s, t 128 bytes each (Sub, so that fuse-matmul-add and
// fold-affine leave all four weights in place).
onnx::ModelProto dense_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 8});
    add_initializer(m, to_proto(random_float_tensor({8, 32}, 1), "W"));
    add_initializer(m, to_proto(random_float_tensor({32}, 2), "b"));
    add_initializer(m, to_proto(random_float_tensor({32}, 3), "s"));
    add_initializer(m, to_proto(random_float_tensor({32}, 4), "t"));
    add_node(m, "MatMul", {"x", "W"}, {"h"});
    add_node(m, "Sub", {"h", "b"}, {"h2"});
    add_node(m, "Mul", {"h2", "s"}, {"h3"});
    add_node(m, "Sub", {"h3", "t"}, {"y"});
    add_output(m, "y", kFloat, {1, 32});
    return m;
}

}  // namespace

TEST_CASE("weights past --weight-file-bytes are defined in NAME-weights-K.cpp files that NAME.cpp declares",
          "[backends][emit]") {
    TempDir dir;
    write_model(dense_model(), dir.file("model.onnx"));
    const std::string out = dir.file("out");
    CommandResult c =
        run_kiln({"compile", dir.file("model.onnx"), "-o", out, "--name", "net", "--weight-file-bytes", "256"});
    INFO(c.out << c.err);
    REQUIRE(c.exit_code == kExitOk);
    // W (1024 bytes, over the limit) alone; b and s together (256 bytes); t in a third file.
    CHECK(listing(out) == std::set<std::string>{"net.h", "net.cpp", "net-weights-0.cpp", "net-weights-1.cpp",
                                                "net-weights-2.cpp"});
    CHECK(c.out.find("and 3 weight files") != std::string::npos);

    const std::string source = read_text_file(out + "/net.cpp");
    const std::regex declared(R"(alignas\(\d+\) extern const float (w\d+_\w+)\[\d+\];)");
    const std::regex defined(R"(alignas\(\d+\) const float (w\d+_\w+)\[\d+\] =)");
    std::vector<std::string> decls = matches(source, declared);
    CHECK(decls.size() == 4);
    CHECK(matches(source, defined).empty());
    CHECK(source.find("static const float") == std::string::npos);
    std::multiset<std::string> definitions;
    for (int k = 0; k < 3; ++k) {
        const std::string file = read_text_file(out + "/net-weights-" + std::to_string(k) + ".cpp");
        CHECK(file.find("namespace net {") != std::string::npos);
        std::vector<std::string> d = matches(file, defined);
        CHECK(matches(file, declared) == d);  // each definition follows its extern declaration
        definitions.insert(d.begin(), d.end());
    }
    CHECK(definitions == std::multiset<std::string>(decls.begin(), decls.end()));

    SECTION("a compile that keeps its weights in NAME.cpp removes the weight files, not other models' files") {
        write_text_file(out + "/other.cpp", "not ours");
        write_text_file(out + "/net2-weights-0.cpp", "another model's");
        write_text_file(out + "/net-weights-x.cpp", "not a weight file name");
        CommandResult again = run_kiln({"compile", dir.file("model.onnx"), "-o", out, "--name", "net"});
        REQUIRE(again.exit_code == kExitOk);
        CHECK(listing(out) ==
              std::set<std::string>{"net.h", "net.cpp", "other.cpp", "net2-weights-0.cpp", "net-weights-x.cpp"});
        CHECK(read_text_file(out + "/net.cpp").find("static const float") != std::string::npos);
    }
}

TEST_CASE("split weights build with every host compiler and match the evaluator", "[driver][build]") {
    TempDir dir;
    onnx::ModelProto m = dense_model();
    write_model(m, dir.file("model.onnx"));
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    REQUIRE(r.is_ok());
    std::vector<Tensor> inputs = random_inputs(*r, 5);
    write_data_set(dir.file("test_data_set_0"), inputs, evaluate_ok(*r, inputs));
    std::vector<std::string> compilers = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) compilers.push_back(KILN_TEST_CLANGXX);
    for (const std::string& cxx : compilers) {
        INFO(cxx);
        const std::string work = dir.file("work-" + fs::path(cxx).filename().string());
        CommandResult c = run_kiln({"check", dir.file("model.onnx"), "--cxx", cxx, "--work-dir", work,
                                    "--weight-file-bytes", "100"});
        INFO(c.out << c.err);
        CHECK(c.exit_code == kExitOk);
        CHECK(fs::exists(work + "/model-weights-3.cpp"));  // every tensor over 100 bytes: one file each
    }
}

namespace {

// The weight value names each NAME-weights-K.cpp defines (array w<id>_<name> -> name), file by file.
std::vector<std::set<std::string>> weights_by_file(const std::string& out, const std::string& name, int files) {
    const std::regex defined(R"(alignas\(\d+\) const float w\d+_(\w+)\[\d+\] =)");
    std::vector<std::set<std::string>> by_file;
    for (int k = 0; k < files; ++k) {
        std::vector<std::string> d = matches(read_text_file(out + "/" + name + "-weights-" + std::to_string(k) + ".cpp"),
                                             defined);
        by_file.emplace_back(d.begin(), d.end());
    }
    return by_file;
}

}  // namespace

TEST_CASE("weight files: --weight-files N writes exactly N weight files, largest tensor first to the lightest file",
          "[backends][emit]") {
    TempDir dir;
    write_model(dense_model(), dir.file("model.onnx"));
    const std::string out = dir.file("out");
    auto compile = [&](const std::string& n) {
        return run_kiln({"compile", dir.file("model.onnx"), "-o", out, "--name", "net", "--weight-files", n});
    };
    // W is 1024 bytes, b, s and t 128 bytes each (value order W, b, s, t).
    SECTION("two files: W alone, the three small ones together") {
        CommandResult c = compile("2");
        INFO(c.out << c.err);
        REQUIRE(c.exit_code == kExitOk);
        CHECK(listing(out) == std::set<std::string>{"net.h", "net.cpp", "net-weights-0.cpp", "net-weights-1.cpp"});
        CHECK(weights_by_file(out, "net", 2) ==
              std::vector<std::set<std::string>>{{"W"}, {"b", "s", "t"}});
    }
    SECTION("three files: a tie goes to the lower index") {
        CommandResult c = compile("3");
        REQUIRE(c.exit_code == kExitOk);
        CHECK(weights_by_file(out, "net", 3) == std::vector<std::set<std::string>>{{"W"}, {"b", "t"}, {"s"}});
    }
    SECTION("more files than tensors: the extra files exist and hold only comments") {
        CommandResult c = compile("6");
        REQUIRE(c.exit_code == kExitOk);
        CHECK(listing(out).size() == 2 + 6);
        CHECK(weights_by_file(out, "net", 6) ==
              std::vector<std::set<std::string>>{{"W"}, {"b"}, {"s"}, {"t"}, {}, {}});
        for (int k : {4, 5}) {
            const std::string text = read_text_file(out + "/net-weights-" + std::to_string(k) + ".cpp");
            CHECK(text.find("No weight fell to this file") != std::string::npos);
            for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1)  // comment lines only
                CHECK(text.compare(at, 2, "//") == 0);
        }
        SECTION("a later compile with fewer files removes the extra ones") {
            REQUIRE(compile("1").exit_code == kExitOk);
            CHECK(listing(out) == std::set<std::string>{"net.h", "net.cpp", "net-weights-0.cpp"});
            CHECK(weights_by_file(out, "net", 1) == std::vector<std::set<std::string>>{{"W", "b", "s", "t"}});
        }
    }
    SECTION("N must be positive and excludes --weight-file-bytes") {
        CHECK(compile("0").exit_code == kExitUsage);
        CommandResult both = run_kiln({"compile", dir.file("model.onnx"), "-o", out, "--weight-files", "2",
                                       "--weight-file-bytes", "100"});
        CHECK(both.exit_code == kExitUsage);
        CHECK(both.err.find("excludes") != std::string::npos);
        CHECK(!fs::exists(out));
    }
}

TEST_CASE("weight files: --weight-files with empty files builds with every host compiler and matches the evaluator",
          "[driver][build]") {
    TempDir dir;
    onnx::ModelProto m = dense_model();
    write_model(m, dir.file("model.onnx"));
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    REQUIRE(r.is_ok());
    std::vector<Tensor> inputs = random_inputs(*r, 6);
    write_data_set(dir.file("test_data_set_0"), inputs, evaluate_ok(*r, inputs));
    std::vector<std::string> compilers = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) compilers.push_back(KILN_TEST_CLANGXX);
    for (const std::string& cxx : compilers) {
        INFO(cxx);
        const std::string work = dir.file("work-" + fs::path(cxx).filename().string());
        CommandResult c =
            run_kiln({"check", dir.file("model.onnx"), "--cxx", cxx, "--work-dir", work, "--weight-files", "5"});
        INFO(c.out << c.err);
        CHECK(c.exit_code == kExitOk);
        CHECK(fs::exists(work + "/model-weights-4.cpp"));  // four tensors: the fifth file holds no weight
    }
}
