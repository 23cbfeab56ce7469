// Quantized operators through the reference evaluator: rounding ties to even, saturation, per-axis
// parameters, DynamicQuantizeLinear's run-time scale, integer convolutions and matrix products against
// direct loops written here, constant Q/DQ chains folding away, and errors for unsupported layouts.
#include <cmath>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

template <typename T>
Tensor tensor_of(DType t, Shape s, const std::vector<T>& v) {
    Tensor r(t, std::move(s));
    REQUIRE(int64_t(v.size()) == r.numel());
    for (std::size_t i = 0; i < v.size(); ++i) r.data<T>()[i] = v[i];
    return r;
}
Tensor u8(Shape s, const std::vector<uint8_t>& v) { return tensor_of(DType::UInt8, std::move(s), v); }
Tensor i8(Shape s, const std::vector<int8_t>& v) { return tensor_of(DType::Int8, std::move(s), v); }
Tensor i32(Shape s, const std::vector<int32_t>& v) { return tensor_of(DType::Int32, std::move(s), v); }

template <typename T>
Tensor random_q(DType t, Shape s, std::mt19937& rng) {
    Tensor r(t, std::move(s));
    std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    for (int64_t i = 0; i < r.numel(); ++i) r.data<T>()[i] = T(d(rng));
    return r;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// One input of a single-node model: a graph input (fed at evaluation) or an initializer.
struct Arg {
    std::string name;
    Tensor value;
    bool constant = false;
};

struct Attr {
    std::string name;
    std::vector<int64_t> ints;
    std::string s;
    bool is_list = false;
};
Attr int_attr(const std::string& n, int64_t v) { return Attr{n, {v}, "", false}; }
Attr ints_attr(const std::string& n, std::vector<int64_t> v) { return Attr{n, std::move(v), "", true}; }
Attr string_attr(const std::string& n, const std::string& v) { return Attr{n, {}, v, false}; }

onnx::ModelProto node_model(const std::string& op, int opset, const std::vector<Arg>& args,
                            const std::vector<Attr>& attrs, int outputs = 1) {
    onnx::ModelProto m = make_model(opset);
    std::vector<std::string> ins, outs;
    for (const Arg& a : args) {
        ins.push_back(a.name);
        if (a.name.empty()) continue;
        if (a.constant) {
            add_initializer(m, to_proto(a.value, a.name));
        } else {
            std::vector<Dim> dims(a.value.shape().begin(), a.value.shape().end());
            add_input(m, a.name, int(a.value.dtype()), dims);
        }
    }
    for (int i = 0; i < outputs; ++i) outs.push_back("y" + std::to_string(i));
    onnx::NodeProto* n = add_node(m, op, ins, outs, "q");
    for (const Attr& a : attrs) {
        onnx::AttributeProto* p = n->add_attribute();
        p->set_name(a.name);
        if (!a.s.empty()) {
            p->set_type(onnx::AttributeProto::STRING);
            p->set_s(a.s);
        } else if (a.is_list) {
            p->set_type(onnx::AttributeProto::INTS);
            for (int64_t v : a.ints) p->add_ints(v);
        } else {
            p->set_type(onnx::AttributeProto::INT);
            p->set_i(a.ints[0]);
        }
    }
    for (const std::string& o : outs) add_output(m, o, 0, {});
    return m;
}

// Runs a single-node model on its non-constant arguments.
std::vector<Tensor> run_node(const std::string& op, int opset, const std::vector<Arg>& args,
                             const std::vector<Attr>& attrs = {}, int outputs = 1) {
    Expected<Graph> g = import_model(node_model(op, opset, args, attrs, outputs));
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    std::vector<Tensor> feeds;
    for (const Arg& a : args)
        if (!a.name.empty() && !a.constant) feeds.push_back(a.value);
    return evaluate_ok(inferred(std::move(*g)), feeds);
}

std::string infer_error(const std::string& op, int opset, const std::vector<Arg>& args,
                        const std::vector<Attr>& attrs = {}) {
    Expected<Graph> g = import_model(node_model(op, opset, args, attrs));
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// The requantization ONNX Runtime documents, written independently of the kernels: std::nearbyint in
// the default rounding mode is round half to even.
template <typename T>
T requant_reference(int64_t acc, float scale, int zp) {
    const double v = std::nearbyint(float(int32_t(acc)) * scale) + zp;
    const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    return T(v < lo ? lo : v > hi ? hi : v);
}

}  // namespace

TEST_CASE("QuantizeLinear rounds ties to even and saturates", "[ops][quantize]") {
    const Tensor x =
        float_tensor({12}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, 1e10f, -1e10f, kInf, -kInf});
    SECTION("uint8 without zero point") {
        Tensor y = run_node("QuantizeLinear", 13, {{"x", x}, {"s", float_tensor({}, {1.0f}), true}})[0];
        CHECK(y.dtype() == DType::UInt8);
        CHECK(values<uint8_t>(y) == std::vector<uint8_t>{0, 2, 2, 0, 0, 0, 126, 128, 255, 0, 255, 0});
    }
    SECTION("int8 with a zero point") {
        Tensor y = run_node("QuantizeLinear", 10, {{"x", x}, {"s", float_tensor({}, {1.0f})}, {"zp", i8({}, {-1})}})[0];
        CHECK(values<int8_t>(y) == std::vector<int8_t>{-1, 1, 1, -1, -3, -3, 125, 127, 127, -128, 127, -128});
    }
    SECTION("the quotient is rounded, not x") {
        // 5 / 2 = 2.5 -> 2 and 7 / 2 = 3.5 -> 4; then + zero point 128.
        const std::vector<Arg> args = {
            {"x", float_tensor({4}, {5, 7, -5, -7})}, {"s", float_tensor({}, {2})}, {"zp", u8({}, {128})}};
        Tensor y = run_node("QuantizeLinear", 13, args)[0];
        CHECK(values<uint8_t>(y) == std::vector<uint8_t>{130, 132, 126, 124});
    }
    SECTION("NaN becomes the lowest value, as in ONNX Runtime") {
        Tensor y = run_node("QuantizeLinear", 13, {{"x", float_tensor({1}, {kNaN})}, {"s", float_tensor({}, {1})},
                                                   {"zp", i8({}, {3})}})[0];
        CHECK(values<int8_t>(y) == std::vector<int8_t>{-128});
    }
    SECTION("int32 input divides in double") {
        // In double 1105859000 / 16143927 = 68.50000003 -> 69; in float the quotient would be the tie 68.5 -> 68.
        Tensor y = run_node("QuantizeLinear", 13, {{"x", i32({3}, {1105859000, -3, 5})},
                                                   {"s", float_tensor({}, {16143927.0f})}})[0];
        CHECK(values<uint8_t>(y) == std::vector<uint8_t>{69, 0, 0});
    }
}

TEST_CASE("QuantizeLinear and DequantizeLinear per axis", "[ops][quantize]") {
    // x [2, 3, 2]: channel c of axis 1 uses scale s[c] and zero point z[c].
    const Tensor x = float_tensor({2, 3, 2}, {1, -1, 4, 6, 10, -10, 2.5f, 3, 7, 8, -2000, 2000});
    const Tensor s = float_tensor({3}, {1, 2, 4});
    const Tensor z = i8({3}, {0, 10, -10});
    for (int64_t axis : {1, -2}) {
        Tensor y = run_node("QuantizeLinear", 13, {{"x", x}, {"s", s}, {"z", z}}, {int_attr("axis", axis)})[0];
        CHECK(values<int8_t>(y) == std::vector<int8_t>{1, -1, 12, 13, -8, -12, 2, 3, 14, 14, -128, 127});
        Tensor back = run_node("DequantizeLinear", 13, {{"q", y}, {"s", s}, {"z", z}}, {int_attr("axis", axis)})[0];
        CHECK(values<float>(back) == std::vector<float>{1, -1, 4, 6, 8, -8, 2, 3, 8, 8, -472, 548});
    }
    SECTION("axis 0 and the last axis") {
        const std::vector<Arg> args = {{"x", x}, {"s", float_tensor({2}, {1, 2})}, {"z", u8({2}, {100, 0})}};
        Tensor y0 = run_node("QuantizeLinear", 13, args, {int_attr("axis", 0)})[0];
        CHECK(values<uint8_t>(y0) == std::vector<uint8_t>{101, 99, 104, 106, 110, 90, 1, 2, 4, 4, 0, 255});
        Tensor yl = run_node("DequantizeLinear", 13, {{"q", u8({3, 2}, {0, 0, 1, 1, 255, 255})},
                                                      {"s", float_tensor({2}, {0.5f, 2})}, {"z", u8({2}, {1, 3})}},
                             {int_attr("axis", -1)})[0];
        CHECK(values<float>(yl) == std::vector<float>{-0.5f, -6, 0, -4, 127, 504});
    }
}

TEST_CASE("DequantizeLinear of int32 subtracts without overflow", "[ops][quantize]") {
    Tensor y = run_node("DequantizeLinear", 10, {{"x", i32({3}, {2147483647, -2147483647 - 1, 5})},
                                                 {"s", float_tensor({}, {0.5f})}})[0];
    CHECK(values<float>(y) == std::vector<float>{1073741824.0f, -1073741824.0f, 2.5f});
    Tensor z = run_node("DequantizeLinear", 13, {{"x", i32({2}, {-2147483647 - 1, 0})}, {"s", float_tensor({}, {1})},
                                                 {"z", i32({}, {2147483647})}})[0];
    // The exact differences -4294967295 and -2147483647 round to the nearest floats.
    CHECK(values<float>(z) == std::vector<float>{-4294967296.0f, -2147483648.0f});
}

TEST_CASE("DynamicQuantizeLinear computes scale and zero point at run time", "[ops][quantize]") {
    SECTION("the spec's example") {
        std::vector<Tensor> r = run_node("DynamicQuantizeLinear", 11,
                                         {{"x", float_tensor({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})}}, {}, 3);
        CHECK(values<float>(r[1])[0] == Approx(0.0196078438f).epsilon(1e-7));
        CHECK(values<uint8_t>(r[2]) == std::vector<uint8_t>{153});
        CHECK(values<uint8_t>(r[0]) == std::vector<uint8_t>{153, 255, 0, 26, 221, 179});
    }
    SECTION("the range always includes zero") {
        std::vector<Tensor> r = run_node("DynamicQuantizeLinear", 11, {{"x", float_tensor({3}, {1, 2, 4})}}, {}, 3);
        CHECK(values<float>(r[1])[0] == 4.0f / 255.0f);
        CHECK(values<uint8_t>(r[2]) == std::vector<uint8_t>{0});
        // 2 / (4 / 255) is 127.49999 in float: no tie.
        CHECK(values<uint8_t>(r[0]) == std::vector<uint8_t>{64, 127, 255});
    }
    SECTION("all zeros: scale 1 and zero point 0 instead of a division by zero") {
        std::vector<Tensor> r = run_node("DynamicQuantizeLinear", 11, {{"x", float_tensor({2}, {0, 0})}}, {}, 3);
        CHECK(values<float>(r[1])[0] == 1.0f);
        CHECK(values<uint8_t>(r[2]) == std::vector<uint8_t>{0});
        CHECK(values<uint8_t>(r[0]) == std::vector<uint8_t>{0, 0});
    }
}

TEST_CASE("QLinearConv with groups and per-channel weights matches direct loops", "[ops][quantize]") {
    // x u8 [2, 4, 6, 5], w s8 [6, 2, 3, 2] in 2 groups, stride (2, 1), dilation (1, 2), asymmetric pads,
    // a different weight zero point and scale per output channel, and a bias.
    std::mt19937 rng(7);
    const int64_t N = 2, C = 4, H = 6, W = 5, M = 6, G = 2, KH = 3, KW = 2;
    const int64_t SH = 2, SW = 1, DH = 1, DW = 2, PT = 1, PL = 2, PB = 0, PR = 1;
    const int64_t OH = (H + PT + PB - ((KH - 1) * DH + 1)) / SH + 1, OW = (W + PL + PR - ((KW - 1) * DW + 1)) / SW + 1;
    Tensor x = random_q<uint8_t>(DType::UInt8, {N, C, H, W}, rng);
    Tensor w = random_q<int8_t>(DType::Int8, {M, C / G, KH, KW}, rng);
    Tensor wzp = i8({M}, {0, 3, -5, 12, -128, 127});
    Tensor ws = float_tensor({M}, {0.01f, 0.02f, 0.005f, 0.013f, 0.007f, 0.03f});
    Tensor bias = i32({M}, {100, -2000, 0, 35000, -7, 12345});
    const float xs = 0.021f, ys = 0.37f;
    const uint8_t xzp = 131, yzp = 119;
    const std::vector<Attr> attrs = {int_attr("group", G), ints_attr("strides", {SH, SW}),
                                     ints_attr("dilations", {DH, DW}), ints_attr("pads", {PT, PL, PB, PR})};

    Tensor y = run_node("QLinearConv", 10,
                        {{"x", x}, {"xs", float_tensor({}, {xs})}, {"xzp", u8({}, {xzp})}, {"w", w, true},
                         {"ws", ws, true}, {"wzp", wzp, true}, {"ys", float_tensor({}, {ys})}, {"yzp", u8({}, {yzp})},
                         {"b", bias, true}},
                        attrs)[0];
    std::vector<Arg> int_args = {{"x", x}, {"w", w, true}, {"xzp", u8({}, {xzp})}, {"wzp", wzp, true}};
    Tensor yi = run_node("ConvInteger", 10, int_args, attrs)[0];
    REQUIRE(y.shape() == Shape{N, M, OH, OW});
    REQUIRE(yi.shape() == Shape{N, M, OH, OW});
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    int64_t acc = 0;
                    const int64_t g = m / (M / G);
                    for (int64_t ic = 0; ic < C / G; ++ic)
                        for (int64_t kh = 0; kh < KH; ++kh)
                            for (int64_t kw = 0; kw < KW; ++kw) {
                                const int64_t ih = oh * SH + kh * DH - PT, iw = ow * SW + kw * DW - PL;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                const int64_t xv = x.data<uint8_t>()[((n * C + g * (C / G) + ic) * H + ih) * W + iw];
                                const int64_t wv = w.data<int8_t>()[((m * (C / G) + ic) * KH + kh) * KW + kw];
                                acc += (xv - xzp) * (wv - wzp.data<int8_t>()[m]);
                            }
                    const int64_t at = ((n * M + m) * OH + oh) * OW + ow;
                    INFO("n " << n << " m " << m << " oh " << oh << " ow " << ow);
                    REQUIRE(yi.data<int32_t>()[at] == acc);
                    const float scale = xs * ws.data<float>()[m] / ys;
                    REQUIRE(int(y.data<uint8_t>()[at]) ==
                            int(requant_reference<uint8_t>(acc + bias.data<int32_t>()[m], scale, yzp)));
                }
}

TEST_CASE("QLinearConv rows longer than one accumulator chunk, with SAME padding", "[ops][quantize]") {
    // A 1-D conv whose rows (150 outputs) span three chunks; w = 1 at the centre tap so y = requant(x - zp).
    std::mt19937 rng(11);
    Tensor x = random_q<int8_t>(DType::Int8, {1, 1, 150}, rng);
    Tensor y = run_node("QLinearConv", 10,
                        {{"x", x}, {"xs", float_tensor({}, {1})}, {"xzp", i8({}, {-3})},
                         {"w", i8({1, 1, 3}, {0, 1, 0})}, {"ws", float_tensor({1}, {1})}, {"wzp", i8({1}, {0})},
                         {"ys", float_tensor({}, {2})}, {"yzp", i8({}, {1})}},
                        {string_attr("auto_pad", "SAME_UPPER")})[0];
    REQUIRE(y.shape() == Shape{1, 1, 150});
    for (int64_t i = 0; i < 150; ++i)
        REQUIRE(int(y.data<int8_t>()[i]) == int(requant_reference<int8_t>(x.data<int8_t>()[i] + 3, 0.5f, 1)));
}

TEST_CASE("QLinearMatMul and MatMulInteger with per-row A and per-column B parameters", "[ops][quantize]") {
    // A s8 [2, 3, 70] with parameters per row and batch ([2, 3, 1]); B u8 [70, 67] per column ([67]).
    std::mt19937 rng(3);
    const int64_t BA = 2, M = 3, K = 70, N = 67;
    Tensor a = random_q<int8_t>(DType::Int8, {BA, M, K}, rng);
    Tensor b = random_q<uint8_t>(DType::UInt8, {K, N}, rng);
    Tensor azp = random_q<int8_t>(DType::Int8, {BA, M, 1}, rng);
    Tensor bzp = random_q<uint8_t>(DType::UInt8, {N}, rng);
    Tensor as(DType::Float32, {BA, M, 1}), bs(DType::Float32, {N});
    for (int64_t i = 0; i < as.numel(); ++i) as.data<float>()[i] = 0.001f * float(i + 1);
    for (int64_t j = 0; j < N; ++j) bs.data<float>()[j] = 0.002f + 0.0001f * float(j);
    const float ys = 0.9f;
    Tensor y = run_node("QLinearMatMul", 10,
                        {{"a", a}, {"as", as}, {"azp", azp}, {"b", b, true}, {"bs", bs, true}, {"bzp", bzp, true},
                         {"ys", float_tensor({}, {ys})}, {"yzp", i8({}, {-9})}})[0];
    Tensor yi = run_node("MatMulInteger", 10, {{"a", a}, {"b", b}, {"azp", azp}, {"bzp", bzp}})[0];
    REQUIRE(y.shape() == Shape{BA, M, N});
    REQUIRE(yi.shape() == Shape{BA, M, N});
    for (int64_t p = 0; p < BA; ++p)
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j) {
                int64_t acc = 0;
                const int64_t az = azp.data<int8_t>()[p * M + i], bz = bzp.data<uint8_t>()[j];
                for (int64_t k = 0; k < K; ++k)
                    acc += (a.data<int8_t>()[(p * M + i) * K + k] - az) * (b.data<uint8_t>()[k * N + j] - bz);
                const int64_t at = (p * M + i) * N + j;
                INFO("batch " << p << " i " << i << " j " << j);
                REQUIRE(yi.data<int32_t>()[at] == acc);
                const float scale = as.data<float>()[p * M + i] * bs.data<float>()[j] / ys;
                REQUIRE(int(y.data<int8_t>()[at]) == int(requant_reference<int8_t>(acc, scale, -9)));
            }
}

TEST_CASE("MatMulInteger accumulates in 32 bits and wraps", "[ops][quantize]") {
    // 33100 products of 255 * 255 sum to 2152327500, past INT32_MAX: the spec lets it wrap.
    const int64_t K = 33100;
    Tensor a(DType::UInt8, {1, K}), b(DType::UInt8, {K, 1});
    std::memset(a.raw(), 255, a.nbytes());
    std::memset(b.raw(), 255, b.nbytes());
    Tensor y = run_node("MatMulInteger", 10, {{"a", a}, {"b", b}, {"azp", u8({}, {0})}})[0];
    CHECK(values<int32_t>(y) == std::vector<int32_t>{int32_t(int64_t(2152327500) - (int64_t(1) << 32))});
}

TEST_CASE("QuantizeLinear/DequantizeLinear on constants fold away", "[ops][quantize][passes]") {
    // y = x + DequantizeLinear(QuantizeLinear(w)): the chain on the constant w folds into one weight.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_initializer(m, raw_float_tensor("w", {4}, {0.26f, -1.0f, 3.3f, 100}));
    add_initializer(m, to_proto(float_tensor({}, {0.5f}), "s"));
    add_initializer(m, to_proto(i8({}, {2}), "z"));
    add_node(m, "QuantizeLinear", {"w", "s", "z"}, {"wq"});
    add_node(m, "DequantizeLinear", {"wq", "s", "z"}, {"wd"});
    add_node(m, "Add", {"x", "wd"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Expected<Graph> after = fold_constants(before);
    REQUIRE(after.is_ok());
    REQUIRE(after->nodes.size() == 1);
    CHECK(after->nodes[0].op_type == "Add");
    // 0.26 / 0.5 = 0.52 -> 1 (+2 = 3) -> 0.5; 100 / 0.5 + 2 saturates at 127 -> 62.5.
    CHECK(values<float>(*after->value(after->find_value("wd")).data) == std::vector<float>{0.5f, -1.0f, 3.5f, 62.5f});
    require_same_outputs(before, *after, {float_tensor({4}, {1, 2, 3, 4})});
}

TEST_CASE("quantized ops reject what they do not support, naming it", "[ops][quantize]") {
    const Tensor x = float_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
    auto has = [](const std::string& s, const std::string& part) {
        INFO(s);
        return s.find(part) != std::string::npos;
    };
    CHECK(has(infer_error("QuantizeLinear", 10, {{"x", x}, {"s", float_tensor({3}, {1, 2, 3})}}),
              "before opset 13 it must be a scalar"));
    CHECK(has(infer_error("QuantizeLinear", 13, {{"x", x}, {"s", float_tensor({2}, {1, 2})}}),
              "scale has 2 values but axis 1 of x (shape 2x3) has 3"));
    CHECK(has(infer_error("QuantizeLinear", 10, {{"x", x}, {"s", float_tensor({}, {1})}}, {int_attr("axis", 0)}),
              "attribute 'axis' is not supported"));
    CHECK(has(infer_error("DequantizeLinear", 13, {{"x", u8({2}, {1, 2})}, {"s", float_tensor({}, {1})},
                                                   {"z", i8({}, {0})}}),
              "('x_zero_point') has type i8, expected u8"));
    CHECK(has(infer_error("QLinearConv", 10,
                          {{"x", u8({1, 1, 3, 3}, std::vector<uint8_t>(9, 1))}, {"xs", float_tensor({}, {1})},
                           {"xzp", u8({}, {0})}, {"w", u8({2, 1, 1, 1}, {1, 1})}, {"ws", float_tensor({3}, {1, 1, 1})},
                           {"wzp", u8({}, {0})}, {"ys", float_tensor({}, {1})}, {"yzp", u8({}, {0})}}),
              "('w_scale') has shape 3, expected a scalar or 2 values"));
    CHECK(has(infer_error("MatMulInteger", 10, {{"a", u8({2, 3}, {1, 2, 3, 4, 5, 6})}, {"b", u8({3, 1}, {1, 2, 3})},
                                                {"azp", u8({3}, {1, 2, 3})}}),
              "('a_zero_point') has shape 3; expected one value, 2 values or shape [batch.., 2, 1]"));
}
