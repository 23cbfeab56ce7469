// `kiln bench`: the JSON report's numbers agree with each other, --profile prints one row per layer whose
// times add up to about the total, cross targets and bad flags are refused, and the profile hooks in the
// generated code are three-line #ifdef KILN_PROFILE blocks (so without the macro the code is what it was).
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "driver/bench_model.h"
#include "driver/exit_codes.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// y = Relu(x @ w1) @ w2 + b: two MatMuls (MACs 8*32*64 + 8*64*16) and the layers between them.
onnx::ModelProto bench_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {8, 32});
    std::vector<float> w1(32 * 64), w2(64 * 16), b(16);
    for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = float(int(i % 7) - 3) * 0.1f;
    for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = float(int(i % 5) - 2) * 0.1f;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i) * 0.01f;
    add_initializer(m, raw_float_tensor("w1", {32, 64}, w1));
    add_initializer(m, raw_float_tensor("w2", {64, 16}, w2));
    add_initializer(m, raw_float_tensor("b", {16}, b));
    add_node(m, "MatMul", {"x", "w1"}, {"h"});
    add_node(m, "Relu", {"h"}, {"r"});
    add_node(m, "MatMul", {"r", "w2"}, {"z"});
    add_node(m, "Add", {"z", "b"}, {"y"});
    add_node(m, "Sigmoid", {"y"}, {"s"});
    add_output(m, "s", kFloat, {8, 16});
    return m;
}

const int64_t kMacs = 8 * 32 * 64 + 8 * 64 * 16;

}  // namespace

TEST_CASE("kiln bench --json reports consistent latency and GFLOP/s", "[driver][bench]") {
    TempDir dir;
    write_model(bench_model(), dir.file("model.onnx"));
    CommandResult r = run_kiln({"bench", dir.file("model.onnx"), "--runs", "7", "--warmup", "2", "--json",
                                dir.file("bench.json")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == kExitOk);
    CHECK(contains(r.out, "latency ms: min"));
    CHECK(contains(r.out, "-O3"));  // the flags are printed: nothing hidden
    nlohmann::json j = nlohmann::json::parse(read_text_file(dir.file("bench.json")));
    for (const char* key : {"model", "target", "flags", "runs", "warmup", "macs", "min_ms", "median_ms", "mean_ms",
                            "gflops", "times_ms", "layers"})
        CHECK(j.contains(key));
    CHECK(j["target"] == "portable");
    CHECK(j["runs"] == 7);
    CHECK(j["times_ms"].size() == 7);
    CHECK(j["macs"].get<int64_t>() == kMacs);
    const double min_ms = j["min_ms"], median_ms = j["median_ms"], mean_ms = j["mean_ms"];
    CHECK(min_ms > 0);
    CHECK(min_ms <= median_ms);
    CHECK(min_ms <= mean_ms);
    CHECK(j["gflops"].get<double>() == Approx(2.0 * double(kMacs) / (median_ms * 1e6)).epsilon(1e-9));
}

TEST_CASE("kiln bench --profile prints one row per layer and the layer times add up", "[driver][bench]") {
    TempDir dir;
    write_model(bench_model(), dir.file("model.onnx"));
    CommandResult r = run_kiln({"bench", dir.file("model.onnx"), "--runs", "20", "--warmup", "3", "--profile",
                                "--json", dir.file("bench.json"), "--work-dir", dir.file("work")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == kExitOk);
    CHECK(contains(r.out, "-DKILN_PROFILE"));
    nlohmann::json j = nlohmann::json::parse(read_text_file(dir.file("bench.json")));
    const std::size_t layers = j["layers"];
    REQUIRE(layers >= 2);
    REQUIRE(j["per_layer"].size() == layers);
    // Table rows: "  <index>  <name> ...", one per layer, in order.
    std::istringstream lines(r.out);
    std::string line;
    std::size_t rows = 0;
    std::regex row(R"(^\s*(\d+)\s{2}\S.*)");
    std::smatch mt;
    while (std::getline(lines, line))
        if (std::regex_match(line, mt, row) && std::stoul(mt[1]) == rows) ++rows;
    CHECK(rows == layers);
    double sum = 0;
    int64_t macs = 0;
    for (const auto& l : j["per_layer"]) {
        CHECK(l["ms"].get<double>() >= 0);
        sum += l["ms"].get<double>();
        macs += l["macs"].get<int64_t>();
    }
    CHECK(macs == j["macs"].get<int64_t>());
    // Medians of parts need not add up to the median of the whole, but not by far: the layers are most of a run.
    const double median_ms = j["median_ms"];
    CHECK(sum >= 0.2 * median_ms);
    CHECK(sum <= 2.0 * median_ms + 0.05);
    // The generated code's hooks: each an `#ifdef KILN_PROFILE` / one call / `#endif` block.
    const std::string cpp = read_text_file(dir.file("work/model.cpp"));
    std::vector<std::string> text;
    for (std::istringstream in(cpp); std::getline(in, line);) text.push_back(line);
    int blocks = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!contains(text[i], "KILN_PROFILE") && !contains(text[i], "kiln_profile")) continue;
        REQUIRE(contains(text[i], "#ifdef KILN_PROFILE"));
        REQUIRE(i + 2 < text.size());
        CHECK(contains(text[i + 1], "kiln_profile_layer("));
        CHECK(contains(text[i + 2], "#endif"));
        ++blocks;
        i += 2;
    }
    CHECK(blocks >= int(layers) - 1);  // a hook per emitted layer, one at the end, the declaration
}

TEST_CASE("kiln bench refuses cross targets and bad flags", "[driver][bench]") {
    TempDir dir;
    write_model(bench_model(), dir.file("model.onnx"));
    for (const char* t : {"cortex-m4", "cortex-a"}) {
        CommandResult r = run_kiln({"bench", dir.file("model.onnx"), "--target", t});
        INFO(t << ": " << r.err);
        CHECK(r.exit_code == kExitUsage);
        CHECK(contains(r.err, "cross target"));
        CHECK(count_lines(r.err) == 1);
    }
    for (std::vector<std::string> bad : {std::vector<std::string>{"--runs", "0"}, {"--warmup", "-1"}, {"--bogus"},
                                         {"--target", "nonesuch"}, {"--runs", "x"}}) {
        std::vector<std::string> args = {"bench", dir.file("model.onnx")};
        args.insert(args.end(), bad.begin(), bad.end());
        CommandResult r = run_kiln(args);
        INFO(bad[0] << ": " << r.err);
        CHECK(r.exit_code == kExitUsage);
        CHECK(count_lines(r.err) == 1);
    }
    CommandResult missing = run_kiln({"bench", dir.file("nonesuch.onnx")});
    CHECK(missing.exit_code == kExitBadModel);
    CommandResult bad_cxx = run_kiln({"bench", dir.file("model.onnx"), "--cxx", "no-such-compiler-xyz"});
    CHECK(bad_cxx.exit_code == kExitBuildFailed);
    CHECK(count_lines(bad_cxx.err) == 1);
}

TEST_CASE("bench_random_input is seeded and in range", "[driver][bench]") {
    Tensor a = bench_random_input(DType::Float32, {1000}, 1), b = bench_random_input(DType::Float32, {1000}, 1);
    Tensor c = bench_random_input(DType::Float32, {1000}, 2);
    CHECK(a.same_bytes(b));
    CHECK(!a.same_bytes(c));
    const float* p = a.data<float>();
    for (int i = 0; i < 1000; ++i) {
        CHECK(p[i] >= -1.0f);
        CHECK(p[i] < 1.0f);
    }
    Tensor n = bench_random_input(DType::Int64, {100}, 3);
    for (int i = 0; i < 100; ++i) CHECK((n.data<int64_t>()[i] >= 0 && n.data<int64_t>()[i] < 10));
}

TEST_CASE("kiln bench builds with and without KILN_PROFILE under every host compiler", "[driver][bench]") {
    TempDir dir;
    write_model(bench_model(), dir.file("model.onnx"));
    std::vector<std::string> compilers = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) compilers.push_back(KILN_TEST_CLANGXX);
    for (const std::string& cxx : compilers)
        for (bool profile : {false, true}) {
            std::vector<std::string> args = {"bench", dir.file("model.onnx"), "--runs", "1", "--warmup", "0", "--cxx", cxx};
            if (profile) args.push_back("--profile");
            CommandResult r = run_kiln(args);  // -Wall -Wextra -Werror -pedantic, as kiln check
            INFO(cxx << (profile ? " --profile: " : ": ") << r.err);
            CHECK(r.exit_code == kExitOk);
        }
}
