// `kiln compile --report` and `kiln inspect`: the report's numbers agree with each other and with the generated
// code (the arena symbol's size in the built object), the HTML draws one box per arena tensor with every model
// string escaped, the TFLM-style reference is what greedy-by-size gives over the file's graph, and a failed
// compile leaves no report.
#include <filesystem>
#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "driver/exit_codes.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

// x -> Conv(3x3, 4 ch) -> Relu -> b; b -> Conv(1x1) -> c; Add(b, c) -> MaxPool -> y: a residual branch keeps b
// alive across two layers. After the passes: FusedConv(relu) -> b, FusedConv(b, residual b) -> d, MaxPool. `tag` goes into value and node names (to try hostile ones).
onnx::ModelProto residual_model(const std::string& tag = "") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 8, 8});
    std::vector<float> w1(4 * 2 * 3 * 3), w2(4 * 4), bias(4, 0.25f);
    for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = float(int(i % 7) - 3) * 0.1f;
    for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = float(int(i % 5) - 2) * 0.2f;
    add_initializer(m, raw_float_tensor("w1", {4, 2, 3, 3}, w1));
    add_initializer(m, raw_float_tensor("w2", {4, 4, 1, 1}, w2));
    add_initializer(m, raw_float_tensor("bias", {4}, bias));
    auto* c1 = add_node(m, "Conv", {"x", "w1", "bias"}, {"a" + tag}, "conv1" + tag);
    auto* pads = c1->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1);
    add_node(m, "Relu", {"a" + tag}, {"b" + tag}, "relu" + tag);
    add_node(m, "Conv", {"b" + tag, "w2"}, {"c" + tag}, "conv2");
    add_node(m, "Add", {"b" + tag, "c" + tag}, {"d" + tag}, "residual");
    auto* pool = add_node(m, "MaxPool", {"d" + tag}, {"y"}, "pool");
    auto* k = pool->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto::INTS);
    k->add_ints(2);
    k->add_ints(2);
    auto* s = pool->add_attribute();
    s->set_name("strides");
    s->set_type(onnx::AttributeProto::INTS);
    s->add_ints(2);
    s->add_ints(2);
    add_output(m, "y", kFloat, {1, 4, 4, 4});
    return m;
}

json compile_with_report(const TempDir& dir, const onnx::ModelProto& m, std::vector<std::string> extra = {}) {
    write_model(m, dir.file("m.onnx"));
    std::vector<std::string> args = {"compile", dir.file("m.onnx"), "-o", dir.file("out"), "--name", "net",
                                     "--report", dir.file("r.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = run_kiln(args);
    INFO(r.err);
    REQUIRE(r.exit_code == kExitOk);
    return json::parse(read_text_file(dir.file("r.json")));
}

}  // namespace

TEST_CASE("the JSON report has the summary and per-layer fields, consistent with each other", "[driver][report]") {
    TempDir dir;
    json j = compile_with_report(dir, residual_model());
    for (const char* key : {"model", "target", "arena_bytes", "arena_lower_bound_bytes", "weights_bytes", "naive_bytes",
                            "tflm_greedy_bytes", "ops", "macs", "layers", "inputs", "outputs"})
        CHECK(j.contains(key));
    CHECK(j["target"] == "portable");
    const json& layers = j["layers"];
    REQUIRE(layers.size() == 3);
    int op_total = 0;
    for (const auto& kv : j["ops"].items()) op_total += kv.value().get<int>();
    CHECK(op_total == int(layers.size()));
    CHECK(j["ops"]["kiln.FusedConv"] == 2);
    CHECK(j["ops"]["MaxPool"] == 1);

    const std::size_t arena = j["arena_bytes"];
    CHECK(arena >= j["arena_lower_bound_bytes"].get<std::size_t>());
    CHECK(j["arena_lower_bound_bytes"].get<std::size_t>() > 0);
    // Weights: 72 + 16 + 4 floats.
    CHECK(j["weights_bytes"] == (72 + 16 + 4) * 4);
    CHECK(j["parameters"] == 72 + 16 + 4);
    // conv1: 4x8x8 outputs x 2x3x3 taps; conv2: 4x8x8 x 4.
    CHECK(j["macs"] == 4 * 64 * 18 + 4 * 64 * 4);

    int64_t macs = 0;
    std::size_t naive = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const json& l = layers[i];
        INFO(l.dump());
        CHECK(l["index"] == i);
        for (const char* key : {"name", "op", "macs", "outputs", "workspace"}) CHECK(l.contains(key));
        macs += l["macs"].get<int64_t>();
        for (const json& t : l["outputs"]) {
            CHECK(t["dtype"] == "f32");
            CHECK(t["shape"].is_array());
            CHECK(t["graph_output"] == (t["name"] == "y"));
            if (t["name"] == "y") {  // a graph output: written to the caller's buffer
                CHECK(t["arena_offset"].is_null());
                CHECK(t["arena_bytes"].is_null());
                continue;
            }
            const std::size_t off = t["arena_offset"], bytes = t["arena_bytes"];
            CHECK(bytes == t["bytes"].get<std::size_t>());
            CHECK(off + bytes <= arena);
            CHECK(t["first_step"] == i);
            CHECK(t["last_step"].get<int>() >= int(i));
            naive += bytes;
        }
    }
    CHECK(macs == j["macs"].get<int64_t>());
    CHECK(j["naive_bytes"] == naive);
    CHECK(naive == 4 * 64 * 4 * 2);  // b and d: 1x4x8x8 floats each
    // b (layer 0) is read by the second conv, which adds it as its residual.
    CHECK(layers[0]["outputs"][0]["last_step"] == 1);

    SECTION("the same model gives the same report bytes") {
        std::string first = read_text_file(dir.file("r.json"));
        CommandResult again =
            run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("out2"), "--name", "net", "--report", dir.file("r.json")});
        REQUIRE(again.exit_code == kExitOk);
        CHECK(read_text_file(dir.file("r.json")) == first);
    }
}

TEST_CASE("the TFLM-style reference is greedy by size over the file's graph", "[driver][report]") {
    // x -> Relu -> a -> Relu -> b -> Relu -> y, 2x3 floats: a lives in steps 0-1, b in 1-2; 24 bytes each,
    // aligned to 16: a at 0, b at 32, the arena 64 bytes; no reuse at all: 48.
    TempDir dir;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 3});
    add_node(m, "Relu", {"x"}, {"a"}, "r1");
    add_node(m, "Relu", {"a"}, {"b"}, "r2");
    add_node(m, "Relu", {"b"}, {"y"}, "r3");
    add_output(m, "y", kFloat, {2, 3});
    json j = compile_with_report(dir, m);
    CHECK(j["tflm_greedy_bytes"] == 64);
    CHECK(j["tflm_naive_bytes"] == 48);
    CHECK(j["tflm_layers"] == 3);
    // Kiln runs the three Relus as one ElementwiseChain from x to y: no intermediate at all.
    CHECK(j["ops"]["kiln.ElementwiseChain"] == 1);
    CHECK(j["arena_bytes"] == 0);
    CHECK(j["arena_lower_bound_bytes"] == 0);
}

TEST_CASE("report arena_bytes is the size of the arena in the generated object", "[driver][report]") {
    TempDir dir;
    json j = compile_with_report(dir, residual_model());
    const std::size_t arena = j["arena_bytes"];
    CHECK(contains(read_text_file(dir.file("out/net.h")), fmt::format("constexpr std::size_t kArenaBytes = {};", arena)));
    CommandResult cc = run_command({KILN_TEST_CXX, "-std=c++14", "-O0", "-c", dir.file("out/net.cpp"), "-o", dir.file("net.o")});
    INFO(cc.err);
    REQUIRE(cc.exit_code == 0);
    CommandResult nm = run_command({KILN_TEST_NM, "-S", "--size-sort", "-C", dir.file("net.o")});
    REQUIRE(nm.exit_code == 0);
    std::smatch match;
    // "0000000000000000 0000000000000400 b net::arena"
    REQUIRE(std::regex_search(nm.out, match, std::regex("[0-9a-f]+ ([0-9a-f]+) [bBdD] net::arena\\b")));
    CHECK(std::stoull(match[1].str(), nullptr, 16) == arena);
}

TEST_CASE("the HTML report draws one box per arena tensor and escapes model strings", "[driver][report]") {
    TempDir dir;
    const std::string evil = "<script>alert('x')</script>&\"";
    json j = compile_with_report(dir, residual_model(evil), {"--report", dir.file("r.html")});
    std::string html = read_text_file(dir.file("r.html"));
    std::size_t arena_tensors = 0;
    for (const json& l : j["layers"])
        for (const json& t : l["outputs"]) arena_tensors += t["arena_offset"].is_null() ? 0 : 1;
    CHECK(arena_tensors == 2);
    CHECK(count(html, "<svg ") == 1);
    CHECK(count(html, "</svg>") == 1);
    CHECK(count(html, "<rect class=\"tensor\"") == arena_tensors);
    CHECK(count(html, "<title>") == arena_tensors + 1);  // the page's and one per box
    CHECK(contains(html, "class=\"lower-bound\""));
    // Hostile names are text, never markup; the page loads nothing from elsewhere.
    CHECK_FALSE(contains(html, "<script"));
    CHECK(contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    CHECK_FALSE(contains(html, "src="));
    CHECK_FALSE(contains(html, "href="));
    CHECK(contains(html, fmt::format("{} bytes", j["arena_bytes"].get<std::size_t>())));
    // The JSON report keeps the names as they are.
    CHECK(j["layers"][0]["name"] == "conv1" + evil);
}

TEST_CASE("a failed compile writes no report; bad report paths are one-line errors", "[driver][report]") {
    TempDir dir;
    onnx::ModelProto bad = residual_model();
    bad.mutable_graph()->mutable_node(1)->set_op_type("DefinitelyNotAnOp");
    write_model(bad, dir.file("bad.onnx"));
    write_text_file(dir.file("stale.json"), "{\"arena_bytes\": 1}");
    CommandResult r = run_kiln({"compile", dir.file("bad.onnx"), "-o", dir.file("out"), "--report", dir.file("new.json"),
                                "--report", dir.file("stale.json")});
    CHECK(r.exit_code == kExitBadModel);
    CHECK_FALSE(fs::exists(dir.file("new.json")));
    CHECK_FALSE(fs::exists(dir.file("stale.json")));  // it described code that is not there any more

    write_model(residual_model(), dir.file("good.onnx"));
    CommandResult ext = run_kiln({"compile", dir.file("good.onnx"), "-o", dir.file("out"), "--report", dir.file("r.txt")});
    CHECK(ext.exit_code == kExitUsage);
    CHECK(count_lines(ext.err) == 1);
    CHECK(contains(ext.err, ".json or .html"));
    CHECK_FALSE(fs::exists(dir.file("out/good.cpp")));

    // One FILE per --report: a model path after it is still the model.
    CommandResult before = run_kiln({"compile", "--report", dir.file("first.json"), "--report", dir.file("second.html"),
                                     dir.file("good.onnx"), "-o", dir.file("out")});
    INFO(before.err);
    CHECK(before.exit_code == kExitOk);
    CHECK(fs::exists(dir.file("first.json")));
    CHECK(fs::exists(dir.file("second.html")));

    write_text_file(dir.file("plain"), "a file, not a folder");
    CommandResult path = run_kiln({"compile", dir.file("good.onnx"), "-o", dir.file("out"), "--report", dir.file("plain/r.json")});
    CHECK(path.exit_code == kExitIo);
    CHECK(count_lines(path.err) == 1);
    CHECK(contains(path.err, "--report"));
    CHECK(contains(path.err, dir.file("plain")));
    for (const auto& e : fs::directory_iterator(dir.path()))  // no temporary left behind
        CHECK(e.path().filename().string().rfind(".kiln-tmp", 0) != 0);
}

TEST_CASE("inspect prints the report's summary and its JSON", "[driver][inspect][report]") {
    TempDir dir;
    json j = compile_with_report(dir, residual_model());
    CommandResult text = run_kiln({"inspect", dir.file("m.onnx")});
    INFO(text.err);
    REQUIRE(text.exit_code == kExitOk);
    CHECK(contains(text.out, fmt::format("arena: {} bytes (lower bound {} bytes", j["arena_bytes"].get<std::size_t>(),
                                         j["arena_lower_bound_bytes"].get<std::size_t>())));
    CHECK(contains(text.out, fmt::format("naive (every intermediate in its own space): {} bytes",
                                         j["naive_bytes"].get<std::size_t>())));
    CHECK(contains(text.out, fmt::format("TFLM-style greedy (unfused, 5 layers in file order): {} bytes",
                                         j["tflm_greedy_bytes"].get<std::size_t>())));
    CHECK(contains(text.out, fmt::format("MACs: {}", j["macs"].get<int64_t>())));
    CHECK(contains(text.out, "ops: MaxPoolx1 kiln.FusedConvx2"));
    CHECK(contains(text.out, "conv2"));

    CommandResult as_json = run_kiln({"inspect", dir.file("m.onnx"), "--json"});
    REQUIRE(as_json.exit_code == kExitOk);
    json i = json::parse(as_json.out);
    for (const char* key : {"arena_bytes", "arena_lower_bound_bytes", "naive_bytes", "tflm_greedy_bytes", "macs", "ops"})
        CHECK(i[key] == j[key]);
    CHECK(i["layers"].size() == j["layers"].size());
}

TEST_CASE("option --print-ir-after-all prints what --print-ir-after all prints", "[driver][compile]") {
    TempDir dir;
    write_model(relu_model(), dir.file("m.onnx"));
    CommandResult flag = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir-after-all"});
    CommandResult value = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir-after", "all"});
    REQUIRE(flag.exit_code == kExitOk);
    CHECK(flag.out == value.out);
    CHECK(contains(flag.out, "// ---- IR after infer-shapes ----"));
    CommandResult help = run_kiln({"compile", "--help"});
    CHECK(contains(help.out, "--print-ir-after-all"));
    CHECK(contains(help.out, "--report"));
    CommandResult clash =
        run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("o"), "--print-ir-after-all", "--print-ir-after", "infer-shapes"});
    CHECK(clash.exit_code == kExitUsage);
}
