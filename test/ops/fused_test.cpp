// The fused kernels (conv_fused, conv_transpose_fused, gemm_fused with the epilogue.h activations) against
// the unfused kernels followed by the residual add and the elementwise activation functors, over odd
// channel counts, strides, groups (depthwise too), with and without bias and residual, and in place (y on z).
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/activation.h"
#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/elementwise.h"
#include "backends/portable/kernels/gemm.h"

using namespace kiln::kernels;

namespace {

std::vector<float> random_vec(std::size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

struct ActCase {
    Epilogue e;
    std::function<float(float)> unfused;  // the standalone activation kernels' functors
};

std::vector<ActCase> activation_cases() {
    return {
        {{kActNone, 0, 0}, [](float x) { return x; }},
        {{kActRelu, 0, 0}, [](float x) { return Relu()(x); }},
        {{kActClip, 0, 6}, [](float x) { return Clip{0.0f, 6.0f}(x); }},
        {{kActLeakyRelu, 0.1f, 0}, [](float x) { return LeakyRelu{0.1f}(x); }},
        {{kActSigmoid, 0, 0}, [](float x) { return Sigmoid()(x); }},
        {{kActHardSigmoid, 0.2f, 0.5f}, [](float x) { return HardSigmoid{0.2f, 0.5f}(x); }},
        {{kActHardSwish, 0, 0}, [](float x) { return HardSwish()(x); }},
        {{kActSilu, 0, 0}, [](float x) { return x * Sigmoid()(x); }},
        {{kActTanh, 0, 0}, [](float x) { return std::tanh(x); }},
    };
}

void require_close(const std::vector<float>& want, const std::vector<float>& got) {
    REQUIRE(want.size() == got.size());
    int bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!(std::fabs(want[i] - got[i]) <= 1e-5f + 1e-5f * std::fabs(want[i]))) {
            if (bad++ < 3) FAIL_CHECK("element " << i << ": " << want[i] << " vs " << got[i]);
        }
    CHECK(bad == 0);
}

// 2-D window (D = 1) with symmetric padding.
Window window_2d(int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad, bool transposed) {
    Window g{};
    const int64_t oh = transposed ? (h - 1) * stride + k - 2 * pad : (h + 2 * pad - k) / stride + 1;
    const int64_t ow = transposed ? (w - 1) * stride + k - 2 * pad : (w + 2 * pad - k) / stride + 1;
    const int64_t in[3] = {1, h, w}, out[3] = {1, oh, ow}, kern[3] = {1, k, k}, st[3] = {1, stride, stride},
                  pd[3] = {0, pad, pad};
    for (int d = 0; d < 3; ++d) {
        g.in[d] = in[d];
        g.out[d] = out[d];
        g.kernel[d] = kern[d];
        g.stride[d] = st[d];
        g.dilation[d] = 1;
        g.pad[d] = pd[d];
    }
    return g;
}

}  // namespace

TEST_CASE("conv_fused and conv_transpose_fused match conv + residual + activation", "[ops][fused]") {
    uint32_t seed = 1;
    for (bool transposed : {false, true})
        for (int64_t channels : {1, 3, 7, 17})
            for (int64_t stride : {1, 2})
                for (bool depthwise : {false, true})
                    for (const ActCase& act : activation_cases()) {
                        INFO("transposed " << transposed << " channels " << channels << " stride " << stride
                                           << " depthwise " << depthwise << " activation " << act.e.activation);
                        const int64_t cin = depthwise ? channels : 5, groups = depthwise ? channels : 1;
                        ConvParams p{2, cin, channels, groups, window_2d(7, 6, 3, stride, 1, transposed)};
                        const Window& g = p.win;
                        const std::size_t wsize = std::size_t(transposed ? cin * (channels / groups) * 9
                                                                         : channels * (cin / groups) * 9);
                        const std::size_t xsize = std::size_t(2 * cin * 7 * 6);
                        const std::size_t ysize = std::size_t(2 * channels * g.out[1] * g.out[2]);
                        std::vector<float> x = random_vec(xsize, seed++), w = random_vec(wsize, seed++);
                        std::vector<float> b = random_vec(std::size_t(channels), seed++), z = random_vec(ysize, seed++);
                        for (int variant = 0; variant < 3; ++variant) {  // bias + z, no bias + no z, bias + z in place
                            const bool with_z = variant != 1;
                            const float* bias = variant == 1 ? nullptr : b.data();
                            std::vector<float> want(ysize);
                            if (transposed) conv_transpose(x.data(), w.data(), bias, want.data(), p);
                            else conv(x.data(), w.data(), bias, want.data(), p);
                            for (std::size_t i = 0; i < ysize; ++i) want[i] = act.unfused(want[i] + (with_z ? z[i] : 0.0f));
                            std::vector<float> got = variant == 2 ? z : std::vector<float>(ysize, 99.0f);
                            const float* zp = !with_z ? nullptr : (variant == 2 ? got.data() : z.data());
                            if (transposed) conv_transpose_fused(x.data(), w.data(), bias, zp, got.data(), p, act.e);
                            else conv_fused(x.data(), w.data(), bias, zp, got.data(), p, act.e);
                            require_close(want, got);
                        }
                    }
}

TEST_CASE("gemm_fused matches gemm + residual + activation", "[ops][fused]") {
    uint32_t seed = 100;
    for (int64_t n : {1, 3, 7, 17})
        for (int trans_b : {0, 1})
            for (const ActCase& act : activation_cases()) {
                INFO("n " << n << " transB " << trans_b << " activation " << act.e.activation);
                const int64_t m = 5, k = 9;
                GemmParams p{m, n, k, 0, trans_b, 0.5f, 2.0f, 1, 0, 1};  // C is a row vector [N]
                std::vector<float> a = random_vec(std::size_t(m * k), seed++), b = random_vec(std::size_t(k * n), seed++);
                std::vector<float> c = random_vec(std::size_t(n), seed++), z = random_vec(std::size_t(m * n), seed++);
                std::vector<float> want(std::size_t(m * n));
                gemm(a.data(), b.data(), c.data(), want.data(), p);
                for (std::size_t i = 0; i < want.size(); ++i) want[i] = act.unfused(want[i] + z[i]);
                std::vector<float> got(want.size(), 99.0f);
                gemm_fused(a.data(), b.data(), c.data(), z.data(), got.data(), p, act.e);
                require_close(want, got);
                std::vector<float> in_place = z;  // y on z's buffer
                gemm_fused(a.data(), b.data(), c.data(), in_place.data(), in_place.data(), p, act.e);
                require_close(want, in_place);
            }
}

// ---- the fused ops end to end: passes, then generated code against the evaluator on the original graph ----

#include "passes/fusion_check.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace {

// One branch per activation (Conv -> BatchNormalization -> activation), a residual block
// (Conv -> BN -> Add(x) -> Relu), ConvTranspose -> HardSwish, Gemm -> Add(run-time) -> Tanh and
// MatMul(3-D) + bias -> x * Sigmoid(x).
onnx::ModelProto fused_model() {
    using namespace kiln::test;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 4, 6, 6});
    add_input(m, "a", kFloat, {3, 5});
    add_input(m, "z", kFloat, {3, 7});
    add_input(m, "s", kFloat, {2, 3, 5});
    uint32_t seed = 1;
    auto conv_bn = [&](const std::string& in, const std::string& out) {
        add_random(m, out + "_w", {4, 4, 3, 3}, seed++);
        set_ints(add_node(m, "Conv", {in, out + "_w"}, {out + "_c"}), "pads", {1, 1, 1, 1});
        add_random(m, out + "_g", {4}, seed++, 0.5f, 2.0f);
        add_random(m, out + "_be", {4}, seed++);
        add_random(m, out + "_m", {4}, seed++);
        add_random(m, out + "_v", {4}, seed++, 0.1f, 2.0f);
        add_node(m, "BatchNormalization", {out + "_c", out + "_g", out + "_be", out + "_m", out + "_v"}, {out});
    };
    const std::vector<std::string> acts = {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "Tanh"};
    for (const std::string& act : acts) {
        conv_bn("x", "bn_" + act);
        add_node(m, act, {"bn_" + act}, {"y_" + act});
        add_output(m, "y_" + act, kFloat, {1, 4, 6, 6});
    }
    add_initializer(m, raw_float_tensor("lo", {}, {0.0f}));
    add_initializer(m, raw_float_tensor("hi", {}, {6.0f}));
    conv_bn("x", "bn_clip");
    add_node(m, "Clip", {"bn_clip", "lo", "hi"}, {"y_clip"});
    add_output(m, "y_clip", kFloat, {1, 4, 6, 6});
    conv_bn("x", "bn_res");
    add_node(m, "Add", {"bn_res", "x"}, {"sum"});
    add_node(m, "Relu", {"sum"}, {"y_res"});
    add_output(m, "y_res", kFloat, {1, 4, 6, 6});
    add_random(m, "ct_w", {4, 2, 3, 3}, seed++);
    set_ints(add_node(m, "ConvTranspose", {"x", "ct_w"}, {"ct"}), "strides", {2, 2});
    add_node(m, "HardSwish", {"ct"}, {"y_ct"});
    add_output(m, "y_ct", kFloat, {1, 2, 13, 13});
    add_random(m, "g_w", {5, 7}, seed++);
    add_random(m, "g_c", {7}, seed++);
    add_node(m, "Gemm", {"a", "g_w", "g_c"}, {"g"});
    add_node(m, "Add", {"z", "g"}, {"gz"});
    add_node(m, "Tanh", {"gz"}, {"y_gemm"});
    add_output(m, "y_gemm", kFloat, {3, 7});
    add_random(m, "mm_w", {5, 6}, seed++);
    add_random(m, "mm_b", {6}, seed++);
    add_node(m, "MatMul", {"s", "mm_w"}, {"mm"});
    add_node(m, "Add", {"mm", "mm_b"}, {"mmb"});
    add_node(m, "Sigmoid", {"mmb"}, {"mms"});
    add_node(m, "Mul", {"mmb", "mms"}, {"y_silu"});
    add_output(m, "y_silu", kFloat, {2, 3, 6});
    return m;
}

}  // namespace

TEST_CASE("fused layers: no BatchNormalization left, generated code matches the unfused graph", "[ops][fused]") {
    using namespace kiln;
    using namespace kiln::test;
    onnx::ModelProto m = fused_model();
    Graph before = load(m);
    Expected<Graph> after = run_pipeline(before, pipeline_for_target("portable"));
    REQUIRE(after.is_ok());
    CHECK(count_ops(*after, "BatchNormalization") == 0);
    CHECK(count_domain_ops(*after, "FusedConv") == 7);
    CHECK(count_domain_ops(*after, "FusedConvTranspose") == 1);
    CHECK(count_domain_ops(*after, "FusedGemm") == 2);
    std::string ops;
    for (const Node& n : after->nodes) ops += n.op_type + " ";
    INFO(ops);
    CHECK(after->nodes.size() == 10);
    require_close_outputs(before, *after);

    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    std::vector<Tensor> ins = random_inputs(before, 11);
    write_data_set(dir.file("test_data_set_0"), ins, evaluate_ok(before, ins));
    CommandResult c = run_kiln({"check", dir.file("model.onnx"), "--data", dir.file("test_data_set_0")});
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CommandResult ir = run_kiln({"compile", dir.file("model.onnx"), "-o", dir.file("out"), "--print-ir"});
    CHECK(ir.exit_code == 0);
    CHECK(ir.out.find("BatchNormalization") == std::string::npos);
    CHECK(ir.out.find("FusedConv(") != std::string::npos);
}

TEST_CASE("FusedConv and FusedGemm check their attributes and residual", "[ops][fused]") {
    using namespace kiln;
    using namespace kiln::test;
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 4, 6, 6});
    add_random(m, "w", {6, 4, 3, 3}, 1);
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kFloat, {1, 4, 6, 6});
    Graph g = load(m);
    Node& n = g.nodes[0];
    n.op_type = "FusedConv";
    n.domain = "kiln";
    n.opset = 1;
    n.inputs = {g.find_value("x"), g.find_value("w")};
    Attribute act;
    act.kind = Attribute::Kind::String;
    auto infer_message = [&](Graph copy) {
        Expected<Graph> r = infer_shapes(std::move(copy));
        return r.is_ok() ? std::string("ok") : r.status().message();
    };
    act.s = "Relu";
    n.attrs["activation"] = act;
    CHECK(infer_message(g) == "ok");
    act.s = "Gelu";
    n.attrs["activation"] = act;
    CHECK(infer_message(g).find("activation 'Gelu' is not supported") != std::string::npos);
    act.s = "Clip";
    n.attrs["activation"] = act;
    CHECK(infer_message(g).find("takes 2 activation_params, got 0") != std::string::npos);
    act.s = "";
    n.attrs["activation"] = act;
    n.inputs = {g.find_value("x"), g.find_value("w"), kNoValue, g.find_value("x")};  // Z of the wrong shape
    CHECK(infer_message(g).find("residual Z has shape 1x4x6x6, expected the output's 1x6x4x4") != std::string::npos);
    n.inputs.resize(2);
    Attribute extra;
    extra.kind = Attribute::Kind::Int;
    n.attrs["unknown"] = extra;
    CHECK(infer_message(g).find("attribute 'unknown' is not supported") != std::string::npos);
}
