// TensorProto -> Tensor: typed fields of every dtype, raw_data, external data files and their confinement to
// the model's folder, tensor files as in the ONNX test data, and --input-shape text.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "frontend/onnx_import.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

onnx::TensorProto header(const std::string& name, int dtype, std::vector<int64_t> dims) {
    onnx::TensorProto p;
    p.set_name(name);
    p.set_data_type(dtype);
    for (int64_t d : dims) p.add_dims(d);
    return p;
}

std::string error_of(const onnx::TensorProto& p, const std::string& base_dir = "") {
    Expected<Tensor> t = tensor_from_proto(p, base_dir);
    REQUIRE_FALSE(t.is_ok());
    return t.status().message();
}

template <typename T>
std::string bytes_of(const std::vector<T>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

TEST_CASE("typed fields of every dtype match the raw_data encoding", "[frontend][tensor_proto]") {
    using P = onnx::TensorProto;
    struct Case {
        int dtype;
        std::string raw;                  // little-endian bytes of the three elements
        std::function<void(P&)> typed;    // the same three elements in the typed field
    };
    const std::vector<Case> cases = {
        {P::FLOAT, bytes_of<float>({1.5f, -2, 0}), [](P& p) { p.add_float_data(1.5f); p.add_float_data(-2); p.add_float_data(0); }},
        {P::DOUBLE, bytes_of<double>({0.1, -1e300, 2}), [](P& p) { p.add_double_data(0.1); p.add_double_data(-1e300); p.add_double_data(2); }},
        {P::INT64, bytes_of<int64_t>({INT64_MIN, -1, INT64_MAX}), [](P& p) { p.add_int64_data(INT64_MIN); p.add_int64_data(-1); p.add_int64_data(INT64_MAX); }},
        {P::UINT64, bytes_of<uint64_t>({0, UINT64_MAX, 5}), [](P& p) { p.add_uint64_data(0); p.add_uint64_data(UINT64_MAX); p.add_uint64_data(5); }},
        {P::UINT32, bytes_of<uint32_t>({0, 4000000000u, 5}), [](P& p) { p.add_uint64_data(0); p.add_uint64_data(4000000000u); p.add_uint64_data(5); }},
        {P::INT32, bytes_of<int32_t>({INT32_MIN, 0, 7}), [](P& p) { p.add_int32_data(INT32_MIN); p.add_int32_data(0); p.add_int32_data(7); }},
        {P::INT16, bytes_of<int16_t>({-32768, 1, 32767}), [](P& p) { p.add_int32_data(-32768); p.add_int32_data(1); p.add_int32_data(32767); }},
        {P::UINT16, bytes_of<uint16_t>({0, 65535, 9}), [](P& p) { p.add_int32_data(0); p.add_int32_data(65535); p.add_int32_data(9); }},
        {P::INT8, bytes_of<int8_t>({-128, 127, -1}), [](P& p) { p.add_int32_data(-128); p.add_int32_data(127); p.add_int32_data(-1); }},
        {P::UINT8, bytes_of<uint8_t>({0, 255, 128}), [](P& p) { p.add_int32_data(0); p.add_int32_data(255); p.add_int32_data(128); }},
        {P::BOOL, bytes_of<uint8_t>({1, 0, 1}), [](P& p) { p.add_int32_data(1); p.add_int32_data(0); p.add_int32_data(1); }},
        // fp16/bf16 travel as bit patterns in int32_data.
        {P::FLOAT16, bytes_of<uint16_t>({0x3c00, 0xc000, 0x7bff}), [](P& p) { p.add_int32_data(0x3c00); p.add_int32_data(0xc000); p.add_int32_data(0x7bff); }},
        {P::BFLOAT16, bytes_of<uint16_t>({0x3f80, 0xbf80, 0x7f80}), [](P& p) { p.add_int32_data(0x3f80); p.add_int32_data(0xbf80); p.add_int32_data(0x7f80); }},
    };
    for (const Case& c : cases) {
        INFO("data_type " << c.dtype);
        P raw = header("t", c.dtype, {3});
        raw.set_raw_data(c.raw);
        P typed = header("t", c.dtype, {3});
        c.typed(typed);
        Expected<Tensor> a = tensor_from_proto(raw, "");
        Expected<Tensor> b = tensor_from_proto(typed, "");
        INFO(a.status().message() << b.status().message());
        REQUIRE(a.is_ok());
        REQUIRE(b.is_ok());
        CHECK(int(a->dtype()) == c.dtype);
        CHECK(a->shape() == Shape{3});
        CHECK(std::string(reinterpret_cast<const char*>(a->raw()), a->nbytes()) == c.raw);
        CHECK(a->same_bytes(*b));
    }
}

TEST_CASE("scalars and empty tensors", "[frontend][tensor_proto]") {
    onnx::TensorProto s = header("s", onnx::TensorProto::INT64, {});
    s.add_int64_data(42);
    Expected<Tensor> t = tensor_from_proto(s, "");
    REQUIRE(t.is_ok());
    CHECK(t->rank() == 0);
    CHECK(t->as_int64(0) == 42);

    onnx::TensorProto e = header("e", onnx::TensorProto::FLOAT, {2, 0});
    Expected<Tensor> te = tensor_from_proto(e, "");
    REQUIRE(te.is_ok());
    CHECK(te->numel() == 0);
    e.set_raw_data("");
    CHECK(tensor_from_proto(e, "").is_ok());
}

TEST_CASE("data that does not fit the shape is rejected with the tensor name", "[frontend][tensor_proto]") {
    onnx::TensorProto raw = header("w1", onnx::TensorProto::FLOAT, {2, 2});
    raw.set_raw_data(std::string(12, '\0'));
    std::string e = error_of(raw);
    CHECK(contains(e, "tensor 'w1'"));
    CHECK(contains(e, "raw_data has 12 bytes"));
    CHECK(contains(e, "needs 16"));

    onnx::TensorProto typed = header("w2", onnx::TensorProto::FLOAT, {3});
    typed.add_float_data(1);
    CHECK(contains(error_of(typed), "tensor 'w2': has 1 elements of data but its shape 3 needs 3"));

    onnx::TensorProto wrong_field = header("w3", onnx::TensorProto::FLOAT, {1});
    wrong_field.add_int64_data(1);
    CHECK(contains(error_of(wrong_field), "tensor 'w3'"));
}

TEST_CASE("hostile tensor headers are rejected", "[frontend][tensor_proto]") {
    CHECK(contains(error_of(header("n", onnx::TensorProto::FLOAT, {2, -1})), "negative dimension -1"));
    CHECK(contains(error_of(header("big", onnx::TensorProto::FLOAT, {1 << 20, 1 << 20, 1 << 20})), "too many elements"));
    CHECK(contains(error_of(header("str", onnx::TensorProto::STRING, {1})), "element type 8 is not supported"));
    CHECK(contains(error_of(header("cplx", onnx::TensorProto::COMPLEX64, {1})), "element type 14 is not supported"));
    CHECK(contains(error_of(header("und", 0, {1})), "element type 0 is not supported"));
    onnx::TensorProto seg = header("seg", onnx::TensorProto::FLOAT, {1});
    seg.mutable_segment()->set_begin(0);
    seg.add_float_data(1);
    CHECK(contains(error_of(seg), "segmented tensors are not supported"));
}

namespace {
std::string g_small_file_dir;  // holds small.bin (4 bytes) while the test below runs

// 2^31 floats claimed with 4 bytes of data (raw, typed or external): refused before anything that large
// is allocated.
int import_claiming_8_gib() {
    const std::vector<int64_t> dims = {int64_t(1) << 31};
    onnx::TensorProto raw = header("huge", onnx::TensorProto::FLOAT, dims);
    raw.set_raw_data(std::string(4, '\0'));
    onnx::TensorProto typed = header("huge2", onnx::TensorProto::FLOAT, dims);
    typed.add_float_data(1);
    onnx::TensorProto ext = header("huge3", onnx::TensorProto::FLOAT, dims);
    ext.set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = ext.add_external_data();
    e->set_key("location");
    e->set_value("small.bin");
    bool all_refused = !tensor_from_proto(raw, "").is_ok() && !tensor_from_proto(typed, "").is_ok() &&
                       !tensor_from_proto(ext, g_small_file_dir).is_ok();
    return all_refused ? 0 : 1;
}
}  // namespace

TEST_CASE("a tensor claiming gigabytes it does not carry is refused without allocating them", "[frontend][tensor_proto]") {
    TempDir dir;
    write_text_file(dir.file("small.bin"), "1234");
    g_small_file_dir = dir.path();
    // 124 would mean std::bad_alloc: the importer tried to allocate what the header claims.
    CHECK(run_with_memory_limit(import_claiming_8_gib, std::size_t(1) << 30) == 0);
}

TEST_CASE("external data is read from files inside the model folder", "[frontend][tensor_proto]") {
    TempDir dir;
    std::filesystem::create_directories(dir.file("sub"));
    const std::vector<float> w = {1, -2, 3.5f, 0.25f};
    write_text_file(dir.file("w.bin"), "JUNKJUNK" + bytes_of(w) + "TAIL");
    write_text_file(dir.file("sub/w.bin"), bytes_of(w));
    auto external = [&](const std::string& location, const std::string& offset, const std::string& length) {
        onnx::TensorProto p = header("ext", onnx::TensorProto::FLOAT, {2, 2});
        p.set_data_location(onnx::TensorProto::EXTERNAL);
        auto kv = [&](const char* k, const std::string& v) {
            if (v.empty()) return;
            auto* e = p.add_external_data();
            e->set_key(k);
            e->set_value(v);
        };
        kv("location", location);
        kv("offset", offset);
        kv("length", length);
        return p;
    };
    for (auto [loc, off, len] : std::vector<std::array<std::string, 3>>{
             {"w.bin", "8", "16"}, {"w.bin", "8", ""}, {"sub/w.bin", "", ""}, {"./sub/w.bin", "0", "16"},
             {"sub/../w.bin", "8", "16"}}) {
        INFO(loc << " offset " << off << " length " << len);
        Expected<Tensor> t = tensor_from_proto(external(loc, off, len), dir.path());
        INFO(t.status().message());
        REQUIRE(t.is_ok());
        CHECK(t->same_bytes(float_tensor({2, 2}, w)));
    }

    SECTION("locations outside the folder are refused") {
        for (const std::string& loc : {dir.file("w.bin"), std::string("../w.bin"), std::string("sub/../../w.bin"),
                                       std::string("/etc/passwd"), std::string("")}) {
            INFO(loc);
            std::string e = error_of(external(loc, "", ""), dir.path() + "/sub");
            CHECK(contains(e, "must be a relative path inside the model's folder"));
        }
    }
    SECTION("no external data where there is no model folder") {
        CHECK(contains(error_of(external("w.bin", "8", "16"), ""), "external data is not allowed here"));
    }
    SECTION("missing files and wrong lengths") {
        CHECK(contains(error_of(external("nope.bin", "", ""), dir.path()), "cannot open external data file"));
        CHECK(contains(error_of(external("w.bin", "8", "12"), dir.path()), "has length 12 but the tensor needs 16"));
        CHECK(contains(error_of(external("w.bin", "16", "16"), dir.path()), "is shorter than offset 16 + 16 bytes"));
        CHECK(contains(error_of(external("w.bin", "-4", "16"), dir.path()), "tensor 'ext'"));
    }
}

TEST_CASE("a model with external weights imports from its file", "[frontend][tensor_proto]") {
    TempDir dir;
    const std::vector<float> w = {2, 4, 8};
    write_text_file(dir.file("model.weights"), bytes_of(w));
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {3});
    onnx::TensorProto p = header("w", onnx::TensorProto::FLOAT, {3});
    p.set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = p.add_external_data();
    e->set_key("location");
    e->set_value("model.weights");
    add_initializer(m, p);
    add_node(m, "Mul", {"x", "w"}, {"y"});
    add_output(m, "y", kFloat, {3});
    write_model(m, dir.file("model.onnx"));
    Expected<Graph> g = import_onnx_file(dir.file("model.onnx"), {});
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    CHECK(g->value(g->find_value("w")).data->same_bytes(float_tensor({3}, w)));
}

TEST_CASE("tensor files round trip and garbage is refused", "[frontend][tensor_proto]") {
    TempDir dir;
    Tensor t = random_float_tensor({2, 5}, 7);
    REQUIRE(save_tensor_file(t, "out", dir.file("a.pb")).is_ok());
    Expected<Tensor> back = load_tensor_file(dir.file("a.pb"));
    REQUIRE(back.is_ok());
    CHECK(back->same_bytes(t));

    write_tensor_pb(t, "out", dir.file("b.pb"));
    Expected<Tensor> b = load_tensor_file(dir.file("b.pb"));
    REQUIRE(b.is_ok());
    CHECK(b->same_bytes(t));

    write_text_file(dir.file("bad.pb"), "\xff\xff\xff\xff\xff");
    Expected<Tensor> bad = load_tensor_file(dir.file("bad.pb"));
    REQUIRE_FALSE(bad.is_ok());
    CHECK(contains(bad.status().message(), "not a serialized ONNX TensorProto"));
    Expected<Tensor> missing = load_tensor_file(dir.file("none.pb"));
    REQUIRE_FALSE(missing.is_ok());
    CHECK(contains(missing.status().message(), "cannot open"));
}

TEST_CASE("parse_shape reads dims separated by x or comma", "[frontend][shape]") {
    CHECK(*parse_shape("1x3x224x224") == Shape{1, 3, 224, 224});
    CHECK(*parse_shape("2,5") == Shape{2, 5});
    CHECK(*parse_shape("0") == Shape{0});
    CHECK(parse_shape("")->empty());
    CHECK(parse_shape("scalar")->empty());
    for (const char* bad : {"1x", "x1", "1xx2", "-1", "a", "1x-3", "1.5", " 1", "1234567890123", "1x2 "}) {
        INFO(bad);
        Expected<Shape> s = parse_shape(bad);
        REQUIRE_FALSE(s.is_ok());
        CHECK(contains(s.status().message(), "is not a shape like 1x3x224x224"));
    }
}
