// The x86 targets: which layers the x86 backend takes (and with which kernel), that packed weights replace the
// originals in the generated code, and that the code built for each ISA with g++ and clang++ computes what the
// reference evaluator computes.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "driver/exit_codes.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

bool host_runs(const std::string& target) {
    __builtin_cpu_init();
    if (target == "x86-avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
}

// A small CNN with awkward sizes touching every x86 kernel choice: a 1x1 convolution with a residual and ReLU
// (17 channels: neither a multiple of the tile rows nor of the vector), a depthwise 3x3 stride 2 with ReLU6, a
// 3x3 convolution with asymmetric padding, global pooling, a Gemm with transB, alpha, beta and a bias, and a
// MatMul with a 3-D activation and constant weights; a 3x3 convolution on a 24 x 26 plane (Winograd); MaxPool
// with ceil_mode and AveragePool counting the padding; a 5x5 stride-2 depthwise; a 3x3 stride-4 convolution
// with a 6x7 output plane and 64 output channels (output channels in lanes); a 3x3 convolution on a 10x24 plane
// (Winograd F(2x2, 3x3); the 24x26 one is F(4x4, 3x3)); a 7x7 stride-2 first layer over 3 channels; two
// elementwise chains; a 1x1 + depthwise pair fused on a 56x56 plane and one left apart on 16x16.
onnx::ModelProto x86_cnn_model() {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2, 17, 9, 7});
    add_input(m, "t", kFloat, {2, 3, 13});
    add_input(m, "v", kFloat, {1, 32, 24, 27});
    add_initializer(m, to_proto(random_float_tensor({17, 17, 1, 1}, 1, -0.5f, 0.5f), "w1x1"));
    add_initializer(m, to_proto(random_float_tensor({17}, 2), "b1x1"));
    add_initializer(m, to_proto(random_float_tensor({17, 1, 3, 3}, 3), "wdw"));
    add_initializer(m, to_proto(random_float_tensor({17}, 4), "bdw"));
    add_initializer(m, to_proto(random_float_tensor({7, 17, 3, 3}, 5, -0.3f, 0.3f), "w3x3"));
    add_initializer(m, to_proto(random_float_tensor({5, 7}, 6), "wfc"));
    add_initializer(m, to_proto(random_float_tensor({5}, 7), "bfc"));
    add_initializer(m, to_proto(random_float_tensor({13, 11}, 8), "wmm"));
    add_initializer(m, to_proto(random_float_tensor({19, 32, 3, 3}, 9, -0.2f, 0.2f), "wwino"));
    add_initializer(m, raw_float_tensor("zero", {}, {0.0f}));
    add_initializer(m, raw_float_tensor("six", {}, {6.0f}));
    add_node(m, "Conv", {"x", "w1x1", "b1x1"}, {"c1"});
    add_node(m, "Add", {"c1", "x"}, {"r1"});
    add_node(m, "Relu", {"r1"}, {"a1"});
    onnx::NodeProto* dw = add_node(m, "Conv", {"a1", "wdw", "bdw"}, {"c2"});
    set_int(dw, "group", 17);
    set_ints(dw, "strides", {2, 2});
    set_ints(dw, "pads", {1, 1, 1, 1});
    add_node(m, "Clip", {"c2", "zero", "six"}, {"a2"});
    onnx::NodeProto* c3 = add_node(m, "Conv", {"a2", "w3x3"}, {"c3"});
    set_ints(c3, "pads", {0, 1, 1, 0});
    add_node(m, "GlobalAveragePool", {"c3"}, {"g"});
    add_node(m, "Flatten", {"g"}, {"f"});
    onnx::NodeProto* fc = add_node(m, "Gemm", {"f", "wfc", "bfc"}, {"y"});
    set_int(fc, "transB", 1);
    set_float(fc, "alpha", 0.5f);
    set_float(fc, "beta", 2.0f);
    add_node(m, "MatMul", {"t", "wmm"}, {"u"});
    onnx::NodeProto* wino = add_node(m, "Conv", {"v", "wwino"}, {"c4"});
    set_ints(wino, "pads", {1, 0, 1, 1});
    add_node(m, "Relu", {"c4"}, {"o4"});
    add_output(m, "y", kFloat, {2, 5});
    add_initializer(m, to_proto(random_float_tensor({32, 1, 5, 5}, 10), "wdw5"));
    onnx::NodeProto* dw5 = add_node(m, "Conv", {"v", "wdw5"}, {"o7"});
    set_int(dw5, "group", 32);
    set_ints(dw5, "strides", {2, 2});
    set_ints(dw5, "pads", {2, 2, 2, 2});
    onnx::NodeProto* mp = add_node(m, "MaxPool", {"v"}, {"o5"});
    set_ints(mp, "kernel_shape", {3, 3});
    set_ints(mp, "strides", {2, 2});
    set_int(mp, "ceil_mode", 1);
    onnx::NodeProto* ap = add_node(m, "AveragePool", {"v"}, {"o6"});
    set_ints(ap, "kernel_shape", {3, 3});
    set_ints(ap, "pads", {1, 1, 1, 1});
    set_int(ap, "count_include_pad", 1);
    // A small output plane (6x7) with 64 output channels: output channels in lanes (conv_cl).
    add_initializer(m, to_proto(random_float_tensor({64, 32, 3, 3}, 11, -0.2f, 0.2f), "wcl"));
    onnx::NodeProto* cl = add_node(m, "Conv", {"v", "wcl"}, {"c8"});
    set_ints(cl, "strides", {4, 4});
    set_ints(cl, "pads", {1, 1, 1, 1});
    add_node(m, "Relu", {"c8"}, {"o8"});
    add_output(m, "o8", kFloat, {1, 64, 6, 7});
    // A 3x3 convolution on a 10x24 plane: Winograd F(2x2, 3x3) (the 24x26 one above is F(4x4, 3x3)).
    add_input(m, "q", kFloat, {1, 32, 10, 24});
    add_initializer(m, to_proto(random_float_tensor({24, 32, 3, 3}, 12, -0.2f, 0.2f), "wwino2"));
    onnx::NodeProto* wino2 = add_node(m, "Conv", {"q", "wwino2"}, {"o9"});
    set_ints(wino2, "pads", {1, 1, 1, 1});
    add_output(m, "o9", kFloat, {1, 24, 10, 24});
    // A first layer: 3 input channels, 7x7 stride 2 (first_conv).
    add_input(m, "img", kFloat, {1, 3, 20, 22});
    add_initializer(m, to_proto(random_float_tensor({16, 3, 7, 7}, 13, -0.2f, 0.2f), "wfirst"));
    onnx::NodeProto* first = add_node(m, "Conv", {"img", "wfirst"}, {"c10"});
    set_ints(first, "strides", {2, 2});
    set_ints(first, "pads", {3, 3, 3, 3});
    add_node(m, "Relu", {"c10"}, {"o10"});
    add_output(m, "o10", kFloat, {1, 16, 10, 11});
    // A per-channel scale and shift + ReLU (a BatchNorm before a convolution, as in DenseNet): an ElementwiseChain
    // on the x86 kernel; a scale + Sigmoid chain stays on the portable one.
    add_initializer(m, to_proto(random_float_tensor({32, 1, 1}, 14), "scale"));
    add_initializer(m, to_proto(random_float_tensor({32, 1, 1}, 15), "shift"));
    add_node(m, "Mul", {"v", "scale"}, {"bn0"});
    add_node(m, "Add", {"bn0", "shift"}, {"bn1"});
    add_node(m, "Relu", {"bn1"}, {"o11"});
    add_output(m, "o11", kFloat, {1, 32, 24, 27});
    add_node(m, "Mul", {"q", "scale"}, {"sg0"});
    add_node(m, "Sigmoid", {"sg0"}, {"o12"});
    add_output(m, "o12", kFloat, {1, 32, 10, 24});
    // Single binary ops with a runtime per-channel operand (squeeze-and-excitation: x * s[N, C, 1, 1]): one-step
    // chains on the x86 kernel, the operand on either side (Sub: order matters).
    add_node(m, "GlobalAveragePool", {"q"}, {"qg"});
    add_node(m, "Mul", {"qg", "q"}, {"o13"});
    add_node(m, "Sub", {"q", "qg"}, {"o14"});
    add_node(m, "Div", {"qg", "q"}, {"o15"});
    add_output(m, "o13", kFloat, {1, 32, 10, 24});
    add_output(m, "o14", kFloat, {1, 32, 10, 24});
    add_output(m, "o15", kFloat, {1, 32, 10, 24});
    // A 1x1 expansion with ReLU6 read only by a depthwise 3x3 stride 2 with ReLU6 on a 56x56 plane: one
    // kiln.PointwiseDepthwise on the fused x86 kernel; the same pair on a 16x16 plane stays two layers.
    add_input(m, "m", kFloat, {1, 16, 56, 56});
    add_input(m, "s", kFloat, {1, 16, 16, 16});
    add_initializer(m, to_proto(random_float_tensor({24, 16, 1, 1}, 16, -0.5f, 0.5f), "wpw"));
    add_initializer(m, to_proto(random_float_tensor({24}, 17), "bpw"));
    add_initializer(m, to_proto(random_float_tensor({24, 1, 3, 3}, 18), "wdw2"));
    add_initializer(m, to_proto(random_float_tensor({24}, 19), "bdw2"));
    for (const char* in : {"m", "s"}) {
        const std::string t = in;
        add_node(m, "Conv", {t, "wpw", "bpw"}, {t + "_pw"});
        add_node(m, "Clip", {t + "_pw", "zero", "six"}, {t + "_pw6"});
        onnx::NodeProto* d = add_node(m, "Conv", {t + "_pw6", "wdw2", "bdw2"}, {t + "_dw"});
        set_int(d, "group", 24);
        set_ints(d, "strides", {2, 2});
        set_ints(d, "pads", {1, 1, 1, 1});
        add_node(m, "Clip", {t + "_dw", "zero", "six"}, {t + "_out"});
    }
    // An inverted-residual block on a 56x56 plane (1x1 expansion to 96 channels, 1.2 MB, + ReLU6, depthwise 3x3
    // stride 1 + ReLU6, 1x1 projection + the block's input): one kiln.InvertedResidual on the band kernel.
    add_input(m, "r", kFloat, {1, 16, 56, 56});
    add_initializer(m, to_proto(random_float_tensor({96, 16, 1, 1}, 30, -0.5f, 0.5f), "wex"));
    add_initializer(m, to_proto(random_float_tensor({96}, 31), "bex"));
    add_initializer(m, to_proto(random_float_tensor({96, 1, 3, 3}, 32), "wdw3"));
    add_initializer(m, to_proto(random_float_tensor({96}, 33), "bdw3"));
    add_initializer(m, to_proto(random_float_tensor({16, 96, 1, 1}, 34, -0.2f, 0.2f), "wpj"));
    add_initializer(m, to_proto(random_float_tensor({16}, 35), "bpj"));
    add_node(m, "Conv", {"r", "wex", "bex"}, {"r_ex"});
    add_node(m, "Clip", {"r_ex", "zero", "six"}, {"r_ex6"});
    onnx::NodeProto* rd = add_node(m, "Conv", {"r_ex6", "wdw3", "bdw3"}, {"r_dw"});
    set_int(rd, "group", 96);
    set_ints(rd, "pads", {1, 1, 1, 1});
    add_node(m, "Clip", {"r_dw", "zero", "six"}, {"r_dw6"});
    add_node(m, "Conv", {"r_dw6", "wpj", "bpj"}, {"r_pj"});
    add_node(m, "Add", {"r_pj", "r"}, {"r_out"});
    add_output(m, "r_out", kFloat, {1, 16, 56, 56});
    // Two inverted-residual blocks on small planes: one kiln.InvertedResidual each on the channels-in-lanes kernel.
    // 24 -> 100 (not whole panels) -> 24 on 14x14, stride 1, + the block's input; 8 -> 40 -> 17 on 9x11, stride 2,
    // pads {0, 1, 1, 0}, ReLU on the depthwise stage and none on the expansion.
    add_input(m, "r2", kFloat, {1, 24, 14, 14});
    add_initializer(m, to_proto(random_float_tensor({100, 24, 1, 1}, 36, -0.5f, 0.5f), "wex2"));
    add_initializer(m, to_proto(random_float_tensor({100}, 37), "bex2"));
    add_initializer(m, to_proto(random_float_tensor({100, 1, 3, 3}, 38), "wdw4"));
    add_initializer(m, to_proto(random_float_tensor({100}, 39), "bdw4"));
    add_initializer(m, to_proto(random_float_tensor({24, 100, 1, 1}, 40, -0.2f, 0.2f), "wpj2"));
    add_node(m, "Conv", {"r2", "wex2", "bex2"}, {"r2_ex"});
    add_node(m, "Clip", {"r2_ex", "zero", "six"}, {"r2_ex6"});
    onnx::NodeProto* rd2 = add_node(m, "Conv", {"r2_ex6", "wdw4", "bdw4"}, {"r2_dw"});
    set_int(rd2, "group", 100);
    set_ints(rd2, "pads", {1, 1, 1, 1});
    add_node(m, "Clip", {"r2_dw", "zero", "six"}, {"r2_dw6"});
    add_node(m, "Conv", {"r2_dw6", "wpj2"}, {"r2_pj"});
    add_node(m, "Add", {"r2_pj", "r2"}, {"r2_out"});
    add_output(m, "r2_out", kFloat, {1, 24, 14, 14});
    add_input(m, "r3", kFloat, {1, 8, 9, 11});
    add_initializer(m, to_proto(random_float_tensor({40, 8, 1, 1}, 41, -0.5f, 0.5f), "wex3"));
    add_initializer(m, to_proto(random_float_tensor({40, 1, 3, 3}, 42), "wdw5b"));
    add_initializer(m, to_proto(random_float_tensor({17, 40, 1, 1}, 43, -0.2f, 0.2f), "wpj3"));
    add_initializer(m, to_proto(random_float_tensor({17}, 44), "bpj3"));
    add_node(m, "Conv", {"r3", "wex3"}, {"r3_ex"});
    onnx::NodeProto* rd3 = add_node(m, "Conv", {"r3_ex", "wdw5b"}, {"r3_dw"});
    set_int(rd3, "group", 40);
    set_ints(rd3, "strides", {2, 2});
    set_ints(rd3, "pads", {0, 1, 1, 0});
    add_node(m, "Relu", {"r3_dw"}, {"r3_dwr"});
    add_node(m, "Conv", {"r3_dwr", "wpj3", "bpj3"}, {"r3_out"});
    add_output(m, "r3_out", kFloat, {1, 17, 4, 5});
    add_output(m, "m_out", kFloat, {1, 24, 28, 28});
    add_output(m, "s_out", kFloat, {1, 24, 8, 8});
    add_output(m, "o4", kFloat, {1, 19, 24, 26});
    add_output(m, "o5", kFloat, {1, 32, 12, 13});
    add_output(m, "o6", kFloat, {1, 32, 24, 27});
    add_output(m, "o7", kFloat, {1, 32, 12, 14});
    add_output(m, "u", kFloat, {2, 3, 11});
    return m;
}

}  // namespace

TEST_CASE("x86 targets run convolutions, depthwise and Gemm/MatMul layers on x86 kernels with packed weights",
          "[x86][backend]") {
    TempDir dir;
    write_model(x86_cnn_model(), dir.file("model.onnx"));
    for (const char* isa : {"avx2", "avx512"}) {
        const std::string target = std::string("x86-") + isa;
        const std::string traits = std::string("<k::x86::") + (isa == std::string("avx2") ? "Avx2>" : "Avx512>");
        INFO(target);
        const std::string out = dir.file(target);
        CommandResult c = run_kiln({"compile", dir.file("model.onnx"), "--target", target, "-o", out, "--name", "net"});
        INFO(c.err);
        REQUIRE(c.exit_code == kExitOk);
        const std::string src = read_text(out + "/net.cpp");
        // The 1x1 and the 3x3 on the small plane. On AVX-512 the 3x3 (7 output channels) takes the 8-row x
        // 3-vector tile (pack.h conv_tile_for); the 1x1 (K = 17) keeps the default.
        // (And the 1x1 of the pair on the 16x16 plane.)
        if (isa == std::string("avx2")) {
            CHECK(count(src, "k::x86::conv_packed" + traits + "(") == 3);
            CHECK(count(src, "k::x86::conv_packed<k::x86::Avx2, ") == 0);
        } else {
            CHECK(count(src, "k::x86::conv_packed" + traits + "(") == 2);
            CHECK(count(src, "k::x86::conv_packed<k::x86::Avx512, 8, 3>(") == 1);
            CHECK(count(src, ": 7x153 weights (3x3 kernel) packed in K blocks of 8-row panels") == 1);
        }
        CHECK(count(src, "k::x86::depthwise3x3" + traits + "(") == 2);  // (+ the small plane's pair)
        CHECK(count(src, "k::x86::pointwise_depthwise" + traits + "(") == 1);
        CHECK(count(src, "k::x86::inverted_residual" + traits + "(") == 1);
        const std::string cl_mr = isa == std::string("avx2") ? "6" : "14";  // conv_cl_mr of 196 and 20 pixels
        const std::string cl_mr3 = isa == std::string("avx2") ? "5" : "7";
        const std::string panel = isa == std::string("avx2") ? "16" : "32";
        const std::string cl = "k::x86::inverted_residual_cl<" + traits.substr(1, traits.size() - 2) + ", ";
        CHECK(count(src, cl + cl_mr + ">(") == 1);
        CHECK(count(src, cl + cl_mr3 + ">(") == 1);
        CHECK(count(src, ": expansion 100x24, depthwise 100x3x3 + bias, projection 24x100, in " + panel +
                             "-channel panels") == 1);
        CHECK(count(src, ": expansion 40x8, depthwise 40x3x3 + bias, projection 17x40, in " + panel +
                             "-channel panels") == 1);
        for (const char* w : {"_wex2[", "_wdw4[", "_bdw4[", "_wpj2[", "_wex3[", "_wdw5b[", "_wpj3["})
            CHECK(count(src, w) == 0);
        CHECK(count(src, ": 96x16 weights (1x1 kernel) packed in K blocks of " +
                             std::string(isa == std::string("avx2") ? "6" : "14") + "-row panels") == 1);
        CHECK(count(src, ": 16x96 weights (1x1 kernel) packed in K blocks of " +
                             std::string(isa == std::string("avx2") ? "6" : "14") + "-row panels") == 1);
        CHECK(count(src, ": 24x16 weights (1x1 kernel) packed in K blocks of " +
                             std::string(isa == std::string("avx2") ? "6" : "14") + "-row panels") == 2);
        CHECK(count(src, "k::x86::depthwise_generic" + traits + "(") == 1);  // the 5x5 stride 2
        CHECK(count(src, "k::x86::gemm_packed_b" + traits + "(") == 2);  // the Gemm and the MatMul
        CHECK(count(src, "k::x86::winograd4x4_3x3" + traits + "(") == 1);
        CHECK(count(src, "k::x86::winograd3x3" + traits + "(") == 1);
        CHECK(count(src, "k::x86::conv_cl" + traits + "(") == 1);
        // The first layer (3 input channels, 7x7 stride 2): first_conv, its weights in blocks of 8 (AVX-512) or 4
        // (AVX2) output channels.
        CHECK(count(src, "k::x86::first_conv" + traits + "(") == 1);
        CHECK(count(src, ": 16x147 weights (7x7 kernel) packed in blocks of " +
                             std::string(isa == std::string("avx2") ? "4" : "8") + " output channels") == 1);
        CHECK(count(src, "_wfirst[") == 0);
        CHECK(count(src, ": 64x288 weights (3x3 kernel) packed in K blocks of panels of " +
                             std::string(isa == std::string("avx2") ? "16" : "32") + " output channels") == 1);
        CHECK(count(src, "_wcl[") == 0);
        CHECK(count(src, "k::x86::max_pool" + traits + "(") == 1);
        CHECK(count(src, "k::x86::avg_pool" + traits + "(") == 1);
        CHECK(count(src, "k::x86::global_avg_pool" + traits + "(") == 2);
        // scale, shift, ReLU; and the single Mul, Sub and Div with the pooled per-channel operand
        CHECK(count(src, "k::x86::elementwise_chain" + traits + "(") == 4);
        CHECK(count(src, "k::mul(") + count(src, "k::sub(") + count(src, "k::div(") + count(src, "k::binary") == 0);
        CHECK(count(src, "k::elementwise_chain(") == 1);                     // scale, Sigmoid
        CHECK(count(src, "k::conv(") + count(src, "k::conv_fused(") == 0);
        // Packed copies replace the 1x1, Gemm and MatMul weights; the depthwise filter is used as it is.
        CHECK(count(src, "_w1x1[") == 0);
        CHECK(count(src, "_wfc[") == 0);
        CHECK(count(src, "_wmm[") == 0);
        CHECK(count(src, "_wwino[") == 0);
        CHECK(count(src, "_w3x3[") == 0);
        CHECK(count(src, "_wdw[") == 1);
        CHECK(count(src, "// L0_Conv_0: 17x17 weights (1x1 kernel) packed in") == 1);
        CHECK(count(src, ": 7x153 weights (3x3 kernel) packed in") == 1);
        CHECK(count(src, " weights times alpha packed in") == 1);  // Gemm
        CHECK(count(src, ": 13x11 weights packed in") == 1);     // MatMul
        CHECK(count(src, ": 19x32 3x3 filters, Winograd F(4x4,3x3) transformed and packed in") == 1);
        CHECK(count(src, ": 24x32 3x3 filters, Winograd F(2x2,3x3) transformed and packed in") == 1);
        CHECK(count(src, "_wwino2[") == 0);
        // The code refuses to build without the ISA.
        CHECK(count(src, "#error \"net.cpp is generated for target " + target) == 1);
    }
    // The portable target keeps the portable kernels.
    CommandResult p = run_kiln({"compile", dir.file("model.onnx"), "-o", dir.file("portable"), "--name", "net"});
    REQUIRE(p.exit_code == kExitOk);
    CHECK(count(read_text(dir.file("portable/net.cpp")), "k::x86::") == 0);
    CHECK(count(read_text(dir.file("portable/net.cpp")), "pointwise_depthwise") == 0);  // fused on x86 only
    CHECK(count(read_text(dir.file("portable/net.cpp")), "inverted_residual") == 0);
}

TEST_CASE("a double-precision convolution stays on the portable kernels on x86", "[x86][backend]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", onnx::TensorProto::DOUBLE, {1, 4, 5, 5});
    Tensor w(DType::Float64, Shape{4, 4, 1, 1});
    for (int64_t i = 0; i < w.numel(); ++i) w.data<double>()[i] = 0.25 * double(i % 5) - 0.5;
    add_initializer(m, to_proto(w, "w"));
    add_node(m, "Conv", {"x", "w"}, {"y"});
    add_output(m, "y", onnx::TensorProto::DOUBLE, {1, 4, 5, 5});
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    CommandResult c = run_kiln({"compile", dir.file("model.onnx"), "--target", "x86-avx512", "-o", dir.path(), "--name", "net"});
    REQUIRE(c.exit_code == kExitOk);
    const std::string src = read_text(dir.file("net.cpp"));
    CHECK(count(src, "k::x86::") == 0);
    CHECK(count(src, "k::conv(") == 1);
}

TEST_CASE("x86 generated code matches the reference evaluator with g++ and clang++", "[slow][x86]") {
    TempDir dir;
    write_case_with_reference_outputs(dir.path(), x86_cnn_model(), 23);
    for (const char* target : {"x86-avx2", "x86-avx512"}) {
        if (!host_runs(target)) {
            WARN(target << ": this CPU cannot run it; not checked");
            continue;
        }
        for (const std::string& cxx : host_compilers()) {
            INFO(target << " " << cxx);
            // atol 1e-4 (the tolerance against ONNX Runtime), not check's default 1e-5: Winograd F(4x4,3x3)
            // rounds by up to ~2e-6 of the sum of |x * w| over an output's terms (winograd4_test.cpp states the
            // bound), and the 32-channel 3x3 layer's outputs near zero come out ~4e-5 from the direct sums.
            CommandResult c = run_kiln({"check", dir.file("model.onnx"), "--target", target, "--cxx", cxx, "--atol",
                                        "1e-4", "--work-dir", dir.file(std::string("work-") + target)});
            INFO(c.out << c.err);
            CHECK(c.exit_code == kExitOk);
        }
    }
}
