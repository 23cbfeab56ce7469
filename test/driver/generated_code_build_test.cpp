// Generated code builds with every host compiler under -std=c++14 -Wall -Wextra -Werror -pedantic (also without
// exceptions and RTTI), and computes what the reference evaluator computes, hostile names and special weights included.
#include <cmath>
#include <limits>

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

namespace {

// Every op with broadcasting, a scalar weight, pass-through and constant outputs, and names that try to break
// out of comments and identifiers (including a trailing "??" "/" trigraph, which -std=c++14 turns into a backslash).
onnx::ModelProto hostile_all_ops_model() {
    const std::string evil = "*/ int pwned; /* \n#error x\n\\ ?\?/";
    onnx::ModelProto m = make_model();
    m.mutable_graph()->set_name(evil);
    add_input(m, "x" + evil, kFloat, {2, 3});
    add_input(m, "2nd input", kFloat, {3});
    add_initializer(m, raw_float_tensor("w\xc3\xa9", {3}, {0.5f, -1.0f, 2.0f}));
    add_initializer(m, raw_float_tensor("k?\?/", {}, {4.0f}));
    const float inf = std::numeric_limits<float>::infinity();
    add_initializer(m, raw_float_tensor("specials", {8},
                                        {-0.0f, 1e-45f, -1e-40f, 3.4028235e38f, inf, -inf, std::nanf(""), 0.1f}));
    add_node(m, "Mul", {"x" + evil, "w\xc3\xa9"}, {"a"}, evil);
    add_node(m, "Add", {"a", "2nd input"}, {"b"}, "add ?\?/");
    add_node(m, "Relu", {"b"}, {"c"}, "\\");
    add_node(m, "Sub", {"c", "k?\?/"}, {"d"}, "");
    add_node(m, "Div", {"d", "k?\?/"}, {"e"}, "int");
    add_node(m, "Sigmoid", {"e"}, {"y" + evil}, "main");
    add_node(m, "Relu", {"2nd input"}, {"unused"}, "new");  // dead code
    add_output(m, "y" + evil, kFloat, {2, 3});
    add_output(m, "2nd input", kFloat, {3});
    add_output(m, "specials", kFloat, {8});  // a constant output: copied from the emitted weight literals
    return m;
}

}  // namespace

TEST_CASE("generated code compiles cleanly without exceptions or RTTI", "[driver][build]") {
    TempDir dir;
    write_model(hostile_all_ops_model(), dir.file("model.onnx"));
    CommandResult c = run_kiln({"compile", dir.file("model.onnx"), "-o", dir.path(), "--name", "net"});
    INFO(c.err);
    REQUIRE(c.exit_code == kExitOk);
    for (const std::string& cxx : host_compilers()) {
        INFO(cxx);
        CommandResult b = run_command({cxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fno-exceptions",
                                       "-fno-rtti", "-O0", "-c", dir.file("net.cpp"), "-o", dir.file("net.o")});
        INFO(b.err);
        CHECK(b.exit_code == 0);
    }
}

TEST_CASE("generated code with hostile names and special weights matches the evaluator on every compiler", "[driver][build]") {
    TempDir dir;
    onnx::ModelProto m = hostile_all_ops_model();
    write_case_with_reference_outputs(dir.path(), m, 17);
    // The reference agrees with the weights written in the model (NaN compares equal to NaN in check).
    Expected<Tensor> special = load_tensor_file(dir.file("test_data_set_0/output_2.pb"));
    REQUIRE(special.is_ok());
    CHECK(std::signbit(special->data<float>()[0]));
    CHECK(special->data<float>()[1] == 1e-45f);
    CHECK(std::isinf(special->data<float>()[4]));
    CHECK(std::isnan(special->data<float>()[6]));
    for (const std::string& cxx : host_compilers()) {
        INFO(cxx);
        CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--cxx", cxx, "--work-dir", dir.file("work")});
        INFO(r.out << r.err);
        CHECK(r.exit_code == kExitOk);
    }
}

TEST_CASE("a model that folds to no layers still builds and runs", "[driver][build]") {
    // y = Sigmoid(w) - w: every node folds, run() only copies a weight to the output; x is not read.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    add_initializer(m, raw_float_tensor("w", {2}, {0, 2}));
    add_node(m, "Sigmoid", {"w"}, {"s"});
    add_node(m, "Sub", {"s", "w"}, {"y"});
    add_output(m, "y", kFloat, {2});
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    const float s2 = float(1.0 / (1.0 + std::exp(-2.0)));
    write_data_set(dir.file("test_data_set_0"), {float_tensor({2}, {5, 6})}, {float_tensor({2}, {0.5f, s2 - 2})});
    CommandResult r = run_kiln({"check", dir.file("model.onnx")});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.out.find("arena 0 bytes") != std::string::npos);
}

namespace {
template <typename T>
Tensor typed_tensor(DType dt, Shape shape, const std::vector<T>& v) {
    Tensor t(dt, std::move(shape));
    for (std::size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = v[i];
    return t;
}
}  // namespace

TEST_CASE("edge cases of the module layout build and compute hand-computed values", "[driver][build]") {
    // One model, many corners: an output listed twice, a graph input that is also an output and read by a node,
    // an intermediate that is also an output, zero-size and scalar tensors, int64 extremes, uint8 wrap-around,
    // input names that sanitize alike, a constant output and a denormal double weight.
    const int64_t kMin = INT64_MIN, kMax = INT64_MAX;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {3});
    add_input(m, "e", kFloat, {0, 3});
    add_input(m, "s", kFloat, {});
    add_input(m, "i", kInt64, {3});
    add_input(m, "u", onnx::TensorProto::UINT8, {3});
    add_input(m, "a.b", kFloat, {2});
    add_input(m, "a_b", kFloat, {2});
    add_input(m, "d", onnx::TensorProto::DOUBLE, {3});
    add_initializer(m, to_proto(typed_tensor<int64_t>(DType::Int64, {3}, {kMin, kMax, -(int64_t(1) << 40)}), "wi"));
    add_initializer(m, to_proto(typed_tensor<uint8_t>(DType::UInt8, {3}, {2, 100, 3}), "wu"));
    add_initializer(m, to_proto(typed_tensor<double>(DType::Float64, {3}, {1e-310, -0.0, 1.5}), "wd"));
    add_initializer(m, raw_float_tensor("wc", {2}, {7, 8}));
    add_node(m, "Relu", {"x"}, {"r"});
    add_node(m, "Mul", {"r", "r"}, {"rr"});
    add_node(m, "Relu", {"e"}, {"er"});
    add_node(m, "Add", {"er", "e"}, {"ee"});
    add_node(m, "Mul", {"s", "s"}, {"ss"});
    add_node(m, "Add", {"i", "wi"}, {"ii"});
    add_node(m, "Sub", {"u", "wu"}, {"uu"});
    add_node(m, "Add", {"a.b", "a_b"}, {"ab"});
    add_node(m, "Mul", {"d", "wd"}, {"dd"});
    for (const char* out : {"rr", "rr", "x", "r", "ee", "ss", "ii", "uu", "ab", "wc", "dd"})
        add_output(m, out, kFloat, {});  // the declared output types are not read
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    Tensor rr = float_tensor({3}, {0, 4, 0});
    std::vector<Tensor> inputs = {
        float_tensor({3}, {-1, 2, -3}), float_tensor({0, 3}, {}), float_tensor({}, {2.5f}),
        typed_tensor<int64_t>(DType::Int64, {3}, {0, 0, 1}), typed_tensor<uint8_t>(DType::UInt8, {3}, {1, 200, 3}),
        float_tensor({2}, {1, 2}), float_tensor({2}, {10, 20}), typed_tensor<double>(DType::Float64, {3}, {1, 1, 1})};
    std::vector<Tensor> outputs = {
        rr, rr, inputs[0], float_tensor({3}, {0, 2, 0}), float_tensor({0, 3}, {}), float_tensor({}, {6.25f}),
        typed_tensor<int64_t>(DType::Int64, {3}, {kMin, kMax, -(int64_t(1) << 40) + 1}),
        typed_tensor<uint8_t>(DType::UInt8, {3}, {255, 100, 0}), float_tensor({2}, {11, 22}), float_tensor({2}, {7, 8}),
        typed_tensor<double>(DType::Float64, {3}, {1e-310, -0.0, 1.5})};
    write_data_set(dir.file("test_data_set_0"), inputs, outputs);
    CommandResult r = run_kiln({"check", dir.file("model.onnx")});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.out.find("PASS: 11 outputs match") != std::string::npos);
}

TEST_CASE("random models: generated code matches the reference evaluator", "[driver][build]") {
    for (uint32_t seed : {11u, 12u}) {
        INFO("seed " << seed);
        TempDir dir;
        write_case_with_reference_outputs(dir.path(), random_elementwise_model(seed, 40), seed);
        CommandResult r = run_kiln({"check", dir.file("model.onnx")});
        INFO(r.out << r.err);
        CHECK(r.exit_code == kExitOk);
    }
}

TEST_CASE("random models on every host compiler", "[driver][build][slow]") {
    for (const std::string& cxx : host_compilers()) {
        for (uint32_t seed = 20; seed < 30; ++seed) {
            INFO(cxx << " seed " << seed);
            TempDir dir;
            write_case_with_reference_outputs(dir.path(), random_elementwise_model(seed, 60), seed);
            CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--cxx", cxx});
            INFO(r.out << r.err);
            CHECK(r.exit_code == kExitOk);
        }
    }
}
