// `kiln check` and `kiln run` on hand-made data sets: a passing set exits 0, a set with a wrong expected output
// exits 1, a build failure 4; the JUnit and JSON reports are written and parse.
#include <cmath>
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "driver/exit_codes.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// y = Relu(x * w + b), s = Sigmoid(x); x: float[N, 3] (N bound from the data).
onnx::ModelProto check_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {"N", 3});
    add_initializer(m, raw_float_tensor("w", {3}, {2, -1, 0.5f}));
    add_initializer(m, raw_float_tensor("b", {1}, {1}));
    add_node(m, "Mul", {"x", "w"}, {"xw"});
    add_node(m, "Add", {"xw", "b"}, {"pre"});
    add_node(m, "Relu", {"pre"}, {"y"});
    add_node(m, "Sigmoid", {"x"}, {"s"});
    add_output(m, "y", kFloat, {"N", 3});
    add_output(m, "s", kFloat, {"N", 3});
    return m;
}

const std::vector<float> kX = {1, 2, 3, -1, -2, -4};

// Expected outputs, worked out by hand (y) and with the C library (s).
std::vector<Tensor> expected_outputs() {
    Tensor y = float_tensor({2, 3}, {3, 0, 2.5f, 0, 3, 0});
    std::vector<float> s;
    for (float x : kX) s.push_back(float(1.0 / (1.0 + std::exp(-double(x)))));
    return {y, float_tensor({2, 3}, s)};
}

// A model folder with model.onnx and test_data_set_0 (and a wrong set 1 when asked).
void write_case(const TempDir& dir, bool with_wrong_set) {
    write_model(check_model(), dir.file("model.onnx"));
    write_data_set(dir.file("test_data_set_0"), {float_tensor({2, 3}, kX)}, expected_outputs());
    if (with_wrong_set) {
        std::vector<Tensor> wrong = expected_outputs();
        wrong[0].data<float>()[2] += 0.01f;  // beyond rtol 1e-3 of 2.5
        write_data_set(dir.file("test_data_set_1"), {float_tensor({2, 3}, kX)}, wrong);
    }
}

std::string junit_summary(const std::string& path) {
    // Parsed by Python's XML parser: prints "tests failures" of the testsuite element.
    if (std::string(KILN_TEST_PYTHON).empty()) {
        WARN("no python3: the JUnit report is not parsed");
        return "";
    }
    CommandResult r = run_command({KILN_TEST_PYTHON, "-c",
                                   "import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot(); "
                                   "assert s.tag == 'testsuite'; "
                                   "print(s.get('tests'), s.get('failures'), len(s.findall('testcase')), "
                                   "len(s.findall('testcase/failure')))",
                                   path});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

std::string expect_if_python(const std::string& s) { return std::string(KILN_TEST_PYTHON).empty() ? "" : s; }

}  // namespace

TEST_CASE("check passes on a matching data set and writes reports", "[driver][check]") {
    TempDir dir;
    write_case(dir, false);
    CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--junit", dir.file("r.xml"), "--json", dir.file("r.json")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == kExitOk);
    CHECK(contains(r.out, "PASS: 2 outputs match"));
    nlohmann::json j = nlohmann::json::parse(read_text_file(dir.file("r.json")));
    CHECK(j["passed"] == true);
    CHECK(j["target"] == "portable");
    REQUIRE(j["outputs"].size() == 2);
    CHECK(j["outputs"][0]["output"] == "y");
    CHECK(j["outputs"][0]["match"] == true);
    CHECK(j["outputs"][1]["match"] == true);
    CHECK(junit_summary(dir.file("r.xml")) == expect_if_python("2 0 2 0\n"));
}

TEST_CASE("check exits 1 when an expected output differs and reports it", "[driver][check]") {
    TempDir dir;
    write_case(dir, true);
    CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--junit", dir.file("r.xml"), "--json", dir.file("r.json")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == kExitMismatch);
    CHECK(contains(r.out, "test_data_set_1 output 0 'y'"));
    CHECK(contains(r.out, "MISMATCH (1 elements)"));
    CHECK(contains(r.out, "FAIL: 1 of 4 outputs differ"));
    nlohmann::json j = nlohmann::json::parse(read_text_file(dir.file("r.json")));
    CHECK(j["passed"] == false);
    REQUIRE(j["outputs"].size() == 4);
    CHECK(j["outputs"][2]["data_set"] == "test_data_set_1");
    CHECK(j["outputs"][2]["match"] == false);
    CHECK(j["outputs"][2]["mismatches"] == 1);
    CHECK(j["outputs"][2]["max_abs_error"].get<double>() == Approx(0.01).epsilon(0.01));
    CHECK(junit_summary(dir.file("r.xml")) == expect_if_python("4 1 4 1\n"));

    // --data selects one data set; a looser tolerance accepts the wrong one.
    CommandResult one = run_kiln({"check", dir.file("model.onnx"), "--data", dir.file("test_data_set_1")});
    CHECK(one.exit_code == kExitMismatch);
    CHECK(contains(one.out, ": 1 data set(s)"));
    CHECK(run_kiln({"check", dir.file("model.onnx"), "--rtol", "0.01"}).exit_code == kExitOk);
}

TEST_CASE("check reports a model error in the reports too", "[driver][check]") {
    TempDir dir;
    write_case(dir, false);
    onnx::ModelProto bad = check_model();
    bad.mutable_graph()->mutable_node(2)->set_op_type("DefinitelyNotAnOp");
    write_model(bad, dir.file("model.onnx"));
    CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--junit", dir.file("r.xml"), "--json", dir.file("r.json")});
    CHECK(r.exit_code == kExitBadModel);
    CHECK(count_lines(r.err) == 1);
    CHECK(contains(r.err, "(DefinitelyNotAnOp, opset 13): operator is not supported"));
    nlohmann::json j = nlohmann::json::parse(read_text_file(dir.file("r.json")));
    CHECK(j["passed"] == false);
    CHECK(contains(j["error"].get<std::string>(), "DefinitelyNotAnOp"));
    CHECK(junit_summary(dir.file("r.xml")) == expect_if_python("1 1 1 1\n"));
}

TEST_CASE("check: missing or inconsistent test data is a usage error", "[driver][check]") {
    TempDir dir;
    write_model(check_model(), dir.file("model.onnx"));
    CommandResult none = run_kiln({"check", dir.file("model.onnx")});
    CHECK(none.exit_code == kExitUsage);
    CHECK(contains(none.err, "no test data"));
    write_data_set(dir.file("test_data_set_0"), {float_tensor({2, 3}, kX), float_tensor({1}, {0})}, expected_outputs());
    CommandResult extra = run_kiln({"check", dir.file("model.onnx")});
    CHECK(extra.exit_code == kExitUsage);
    CHECK(contains(extra.err, "2 input files but the model has 1 inputs"));
}

TEST_CASE("check: generated code that does not build exits 4", "[driver][check]") {
    TempDir dir;
    write_case(dir, false);
    CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--cxx", "/bin/false"});
    CHECK(r.exit_code == kExitBuildFailed);
    CHECK(contains(r.err, "generated code did not build"));
}

TEST_CASE("run evaluates with the reference kernels and compares", "[driver][run]") {
    TempDir dir;
    write_case(dir, true);
    CommandResult ok = run_kiln({"run", dir.file("model.onnx"), "--data", dir.file("test_data_set_0"), "--out", dir.file("got")});
    INFO(ok.out << ok.err);
    REQUIRE(ok.exit_code == kExitOk);
    CHECK(contains(ok.out, "output 0 'y': f32[2x3], max abs error 0 OK"));
    Expected<Tensor> y = load_tensor_file(dir.file("got/output_0.pb"));
    REQUIRE(y.is_ok());
    CHECK(y->same_bytes(expected_outputs()[0]));
    CommandResult bad = run_kiln({"run", dir.file("model.onnx"), "--data", dir.file("test_data_set_1")});
    CHECK(bad.exit_code == kExitMismatch);
    CHECK(contains(bad.out, "MISMATCH"));
}

TEST_CASE("check and run: string or sequence I/O is a model error, not a data error", "[driver][check]") {
    TempDir dir;
    onnx::ModelProto m = make_model();
    add_input(m, "text", onnx::TensorProto::STRING, {1});
    add_node(m, "Identity", {"text"}, {"out"});
    add_output(m, "out", onnx::TensorProto::STRING, {1});
    write_model(m, dir.file("model.onnx"));
    // Test data as the ONNX suite has it: a string tensor Kiln cannot load.
    std::filesystem::create_directories(dir.file("test_data_set_0"));
    onnx::TensorProto s;
    s.set_data_type(onnx::TensorProto::STRING);
    s.add_dims(1);
    s.add_string_data("monday");
    for (const char* f : {"test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb"})
        write_text_file(dir.file(f), s.SerializeAsString());
    for (std::vector<std::string> args :
         {std::vector<std::string>{"check", dir.file("model.onnx")},
          std::vector<std::string>{"run", dir.file("model.onnx"), "--data", dir.file("test_data_set_0")}}) {
        CommandResult r = run_kiln(args);
        INFO(args[0] << ": " << r.err);
        CHECK(r.exit_code == kExitBadModel);
        CHECK(count_lines(r.err) == 1);
        CHECK(contains(r.err, "input 'text' has element type 8, which is not supported"));
    }

    onnx::ModelProto seq = make_model();
    auto* in = seq.mutable_graph()->add_input();
    in->set_name("items");
    in->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(kFloat);
    add_node(seq, "Identity", {"items"}, {"out"});
    add_output(seq, "out", kFloat, {1});
    write_model(seq, dir.file("model.onnx"));
    CommandResult r = run_kiln({"check", dir.file("model.onnx")});
    CHECK(r.exit_code == kExitBadModel);
    CHECK(contains(r.err, "input 'items' is not a tensor"));
}
