// The module emitter: deterministic output, the API lines of the header, weights and arena, hostile names kept
// out of code, and none of the things generated code must not use (heap, exceptions, iostream, printf).
#include <regex>

#include <catch2/catch.hpp>

#include "driver/compile_model.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

CompiledModel compile(const onnx::ModelProto& m, const std::string& name = "net") {
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    CompileOptions o;
    o.model_path = dir.file("model.onnx");
    o.name = name;
    Expected<CompiledModel> r = compile_model(o, [](const std::string&) {});
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

// Code without comments and string/char literals, so searches see only what the compiler compiles.
std::string strip_comments_and_strings(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.compare(i, 2, "//") == 0) {
            i = s.find('\n', i);
            if (i == std::string::npos) break;
            out += '\n';
        } else if (s.compare(i, 2, "/*") == 0) {
            i = s.find("*/", i + 2);
            if (i == std::string::npos) break;
            ++i;
        } else if (s[i] == '"' || s[i] == '\'') {
            char q = s[i];
            for (++i; i < s.size() && s[i] != q; ++i)
                if (s[i] == '\\') ++i;
            out += "\"\"";
        } else {
            out += s[i];
        }
    }
    return out;
}

// A model touching two elementwise chains (fuse-elementwise) with a Softmax between them, broadcasting, weights,
// a pass-through output and a constant output.
onnx::ModelProto all_ops_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 3});
    add_input(m, "z", kFloat, {3});
    add_initializer(m, raw_float_tensor("w", {3}, {0.5f, -1.0f, 2.0f}));
    add_initializer(m, raw_float_tensor("k", {}, {4.0f}));
    add_node(m, "Mul", {"x", "w"}, {"a"});
    add_node(m, "Add", {"a", "z"}, {"b"});
    add_node(m, "Softmax", {"b"}, {"c"});
    add_node(m, "Sub", {"c", "k"}, {"d"});
    add_node(m, "Div", {"d", "k"}, {"e"});
    add_node(m, "Sigmoid", {"e"}, {"y"});
    add_output(m, "y", kFloat, {2, 3});
    add_output(m, "z", kFloat, {3});
    add_output(m, "w", kFloat, {3});
    return m;
}

}  // namespace

TEST_CASE("compiling the same model twice gives byte-identical files", "[backends][emit]") {
    for (uint32_t seed : {1u, 2u, 3u}) {
        onnx::ModelProto m = random_elementwise_model(seed, 30);
        CompiledModel a = compile(m);
        CompiledModel b = compile(m);
        REQUIRE(a.code.files.size() == 2);
        CHECK(a.code.files == b.code.files);
    }
    CHECK(compile(all_ops_model()).code.files == compile(all_ops_model()).code.files);
}

TEST_CASE("the header declares the API and I/O constants", "[backends][emit]") {
    CompiledModel m = compile(all_ops_model(), "mynet");
    const std::string& h = m.code.files.at("mynet.h");
    INFO(h);
    CHECK(contains(h, "namespace mynet {"));
    CHECK(contains(h, "#pragma once"));
    CHECK(contains(h, "constexpr int kNumInputs = 2;"));
    CHECK(contains(h, "constexpr int kNumOutputs = 3;"));
    CHECK(contains(h, "constexpr std::size_t kInput0Elements = 6;"));
    CHECK(contains(h, "constexpr int64_t kInput0Shape[2] = {2, 3};"));
    CHECK(contains(h, "constexpr std::size_t kOutput2Bytes = 12;"));
    CHECK(contains(h, "int run(const float* in_x, const float* in_z, float* out_y, float* out_z, float* out_w);"));
    CHECK(contains(h, "extern \"C\" int mynet_run(const float* in_x, const float* in_z, float* out_y, float* out_z, float* out_w);"));
    CHECK(contains(h, fmt::format("constexpr std::size_t kArenaBytes = {};", m.plan.arena_bytes)));
}

TEST_CASE("the source holds weights, arena, one commented line per layer and copies for pass-through outputs", "[backends][emit]") {
    CompiledModel m = compile(all_ops_model());
    const std::string& s = m.code.files.at("net.cpp");
    INFO(s);
    CHECK(contains(s, "#include \"net.h\""));
    CHECK(std::regex_search(s, std::regex(R"(alignas\(16\) static const float w\d+_w\[3\] = \{)")));
    CHECK(contains(s, "0.5f, -1.0f, 2.0f,"));
    CHECK(contains(s, "static uint8_t arena[kArenaBytes];"));
    for (const char* op : {"ElementwiseChain", "Softmax"})
        CHECK(std::regex_search(s, std::regex(std::string(R"(// L\d+ \w+: )") + op + " ")));
    CHECK(std::regex_search(s, std::regex(R"(std::memcpy\(out_z, in_z, 12\);)")));
    CHECK(std::regex_search(s, std::regex(R"(std::memcpy\(out_w, w\d+_w, 12\);)")));
    CHECK(m.code.weight_bytes == 16);
}

TEST_CASE("generated code uses no heap, exceptions, iostream or printf", "[backends][emit]") {
    const std::regex forbidden(
        R"(\b(new|delete|malloc|calloc|realloc|free|throw|try|catch|typeid|dynamic_cast|printf|fprintf|puts|std::cout|std::cerr|exit|abort)\b)");
    const std::regex include(R"(#include\s*(\S+))");
    const std::set<std::string> allowed = {"<cstdint>", "<cstddef>", "<cstring>", "<cmath>", "\"net.h\""};
    std::vector<onnx::ModelProto> models = {all_ops_model(), random_elementwise_model(7, 40)};
    for (const onnx::ModelProto& model : models) {
        CompiledModel m = compile(model);
        for (const auto& [file, text] : m.code.files) {
            INFO(file);
            std::string code = strip_comments_and_strings(text);
            std::smatch bad;
            if (std::regex_search(code, bad, forbidden)) FAIL("forbidden '" << bad.str() << "' in " << file);
            CHECK(text.find("iostream") == std::string::npos);
            for (auto it = std::sregex_iterator(text.begin(), text.end(), include); it != std::sregex_iterator(); ++it) {
                INFO((*it)[1].str());
                CHECK(allowed.count((*it)[1].str()));
            }
        }
    }
}

TEST_CASE("hostile model names reach generated code only sanitized", "[backends][emit]") {
    const std::string payload = "*/ int pwned; /*\n#error injected\n\\";
    onnx::ModelProto m = make_model();
    m.mutable_graph()->set_name(payload);
    add_input(m, payload + "in", kFloat, {2});
    add_initializer(m, raw_float_tensor(payload + "w", {2}, {1, 2}));
    add_node(m, "Mul", {payload + "in", payload + "w"}, {"caf\xc3\xa9\n" + payload}, payload + "node");
    add_node(m, "Relu", {"caf\xc3\xa9\n" + payload}, {"9" + payload}, "\xe2\x80\xae");
    add_output(m, "9" + payload, kFloat, {2});
    CompiledModel c = compile(m);
    for (const auto& [file, text] : c.code.files) {
        INFO(file << "\n" << text);
        CHECK_FALSE(std::regex_search(text, std::regex(R"((^|\n)\s*#error)")));
        CHECK_FALSE(contains(strip_comments_and_strings(text), "int pwned;"));
        CHECK_FALSE(std::regex_search(text, std::regex(R"(//[^\n]*\\\n)")));  // a // comment continued
        CHECK_FALSE(contains(text, "\xc3\xa9"));
        CHECK_FALSE(contains(text, "\xe2\x80\xae"));
        // A name can neither open nor close a block comment.
        CHECK(count(text, "/*") == count(text, "*/"));
    }
}
