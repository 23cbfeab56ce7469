// The kiln CLI's exit codes and messages: 0 ok, 2 usage or bad flags, 3 a model that cannot be read or
// compiled. Every error is one line on stderr that says what is wrong.
#include <catch2/catch.hpp>

#include "driver/exit_codes.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void require_one_line_error(const CommandResult& r, int code) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == code);
    CHECK(count_lines(r.err) == 1);
    CHECK((!r.err.empty() && r.err.back() == '\n'));
}

}  // namespace

TEST_CASE("cli: version and help succeed", "[driver][cli]") {
    CommandResult v = run_kiln({"--version"});
    CHECK(v.exit_code == kExitOk);
    CHECK(contains(v.out, "kiln "));
    CommandResult h = run_kiln({"compile", "--help"});
    CHECK(h.exit_code == kExitOk);
    CHECK(contains(h.out, "--input-shape"));
}

TEST_CASE("cli: usage errors exit 2 with one line", "[driver][cli]") {
    TempDir dir;
    write_model(relu_model(), dir.file("m.onnx"));
    const std::string m = dir.file("m.onnx"), out = dir.file("out");
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"frobnicate"},
        {"compile"},
        {"compile", m},  // no -o
        {"compile", m, "-o", out, "--bogus"},
        {"compile", m, "-o", out, "--target", "no-such-target"},
        {"compile", m, "-o", out, "--name", "int"},
        {"compile", m, "-o", out, "--name", "9lives"},
        {"compile", m, "-o", out, "--print-ir-after", "no-such-pass"},
        {"check", m, "--rtol", "-1"},
        {"check", m, "--atol", "abc"},
        {"check", m, "--timeout", "0"},
        {"run", m},  // no --data
        {"inspect", m, "--target", "nope"},
    };
    for (const auto& args : cases) {
        INFO("kiln " << fmt::format("{}", fmt::join(args, " ")));
        require_one_line_error(run_kiln(args), kExitUsage);
    }
}

TEST_CASE("cli: malformed --input-shape is a usage error naming the flag", "[driver][cli]") {
    TempDir dir;
    write_model(relu_model(), dir.file("m.onnx"));
    for (const char* spec : {"x", "=2x3", "x=2xx3", "x=-2x3", "x=2x3x", "x=two", "x=2.5"}) {
        INFO(spec);
        CommandResult r = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("out"), "--input-shape", spec});
        require_one_line_error(r, kExitUsage);
        CHECK(contains(r.err, "--input-shape"));
        CHECK(contains(r.err, spec));
    }
}

TEST_CASE("cli: well-formed --input-shape bindings the model refuses are model errors", "[driver][cli]") {
    TempDir dir;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {"batch", 3});
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kFloat, {"batch", 3});
    write_model(m, dir.file("m.onnx"));
    auto compile = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = {"compile", dir.file("m.onnx"), "-o", dir.file("out")};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_kiln(args);
    };
    CommandResult unbound = compile({});
    require_one_line_error(unbound, kExitBadModel);
    CHECK(contains(unbound.err, "input 'x' dim 0 ('batch') is not fixed; bind it with --input-shape x=DIMS"));
    CommandResult rank = compile({"--input-shape", "x=4"});
    require_one_line_error(rank, kExitBadModel);
    CHECK(contains(rank.err, "has rank 1, but the model declares rank 2"));
    CommandResult conflict = compile({"--input-shape", "x=4x5"});
    require_one_line_error(conflict, kExitBadModel);
    CHECK(contains(conflict.err, "conflicts with the model's dim 1 = 3"));
    CommandResult unknown = compile({"--input-shape", "x=4x3", "--input-shape", "nope=1"});
    require_one_line_error(unknown, kExitBadModel);
    CHECK(contains(unknown.err, "'nope', which is not an input"));
    CommandResult huge = compile({"--input-shape", "x=2000000000x3"});
    require_one_line_error(huge, kExitBadModel);
    CHECK(contains(huge.err, "has more than 4294967296 elements"));
    CommandResult ok = compile({"--input-shape", "x=4x3"});
    INFO(ok.err);
    CHECK(ok.exit_code == kExitOk);
}

TEST_CASE("cli: unreadable models exit 3 with one line naming the file", "[driver][cli]") {
    TempDir dir;
    const std::string full = serialize(relu_model());
    write_text_file(dir.file("empty.onnx"), "");
    write_text_file(dir.file("garbage.onnx"), "this is not a protobuf \xff\xff\xff\xff\xff\x01\x02");
    struct Case {
        std::string file, message;
    };
    std::vector<Case> cases = {
        {dir.file("missing.onnx"), "no such file"},
        {dir.file("empty.onnx"), "the file is empty"},
        {dir.file("garbage.onnx"), "not a valid ONNX model"},
        {dir.path(), "is a directory"},
    };
    for (std::size_t cut : {std::size_t(1), full.size() / 3, full.size() / 2, full.size() - 1}) {
        std::string f = dir.file("cut" + std::to_string(cut) + ".onnx");
        write_text_file(f, full.substr(0, cut));
        cases.push_back({f, ""});
    }
    for (const Case& c : cases) {
        for (const char* cmd : {"compile", "inspect"}) {
            std::vector<std::string> args = {cmd, c.file};
            if (std::string(cmd) == "compile") args.insert(args.end(), {"-o", dir.file("out")});
            CommandResult r = run_kiln(args);
            INFO(cmd << " " << c.file);
            require_one_line_error(r, kExitBadModel);
            CHECK(contains(r.err, c.file));
            CHECK(contains(r.err, c.message));
        }
    }
}

TEST_CASE("cli: an unsupported operator names the node and op type", "[driver][cli]") {
    TempDir dir;
    onnx::ModelProto m = relu_model();
    add_node(m, "DefinitelyNotAnOp", {"y"}, {"z"}, "strange_node");
    add_output(m, "z", kFloat, {2, 3});
    write_model(m, dir.file("m.onnx"));
    CommandResult r = run_kiln({"compile", dir.file("m.onnx"), "-o", dir.file("out")});
    require_one_line_error(r, kExitBadModel);
    CHECK(contains(r.err, "node 'strange_node' (DefinitelyNotAnOp, opset 13): operator is not supported"));
    CHECK(r.err.rfind("kiln compile: ", 0) == 0);

    onnx::ModelProto custom = relu_model();
    auto* op = custom.add_opset_import();
    op->set_domain("com.example");
    op->set_version(1);
    add_node(custom, "Foo", {"y"}, {"z"}, "custom_node")->set_domain("com.example");
    add_output(custom, "z", kFloat, {2, 3});
    write_model(custom, dir.file("custom.onnx"));
    CommandResult rc = run_kiln({"compile", dir.file("custom.onnx"), "-o", dir.file("out")});
    require_one_line_error(rc, kExitBadModel);
    CHECK(contains(rc.err, "node 'custom_node' (com.example.Foo, opset 1): operator is not supported"));
}

TEST_CASE("cli: a model that compiles exits 0 and says what it wrote", "[driver][cli]") {
    TempDir dir;
    write_model(relu_model(), dir.file("tiny.onnx"));
    CommandResult r = run_kiln({"compile", dir.file("tiny.onnx"), "-o", dir.file("out")});
    INFO(r.err);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "tiny.h and tiny.cpp (1 layers"));
}
