// x86 layer choices. Per layer, from its shapes and attributes (all known at compile time):
//   Conv / kiln.FusedConv, float, 1-D/2-D:
//     depthwise 3x3 (groups = channels, stride 1 or 2, no dilation)  -> x86/depthwise.h depthwise3x3
//     other depthwise (5x5, 7x7, dilated, other strides)            -> x86/depthwise_generic.h
//     1-4 input channels, one group, kernels of > 1 tap (first layers) -> x86/first_conv.h first_conv
//     3x3, stride 1, one group, planes >= 13x13, >= 16 channels        -> x86/winograd4.h winograd4x4_3x3
//     3x3, stride 1, one group, wide enough planes and enough channels -> x86/winograd.h winograd3x3
//     planes of <= 64 pixels whose output channels fill whole panels  -> x86/conv_cl.h conv_cl (output
//                                                                      channels in lanes)
//     any other                                                     -> x86/conv_packed.h conv_packed (packed
//                                                                      GEMM over an implicit im2col)
//   Gemm / kiln.FusedGemm with a constant B, MatMul with a constant 2-D B -> x86/gemm_packed.h gemm_packed_b
//   MaxPool (no Indices output), AveragePool, GlobalAveragePool, float     -> x86/pool.h
//   kiln.PointwiseDepthwise (fuse-pointwise-depthwise: a short-K 1x1 and the depthwise 3x3 reading it, planes
//   of 56x56 and up; on planes up to 16x16 only as part of an InvertedResidual) -> x86/pointwise_depthwise.h
//   kiln.InvertedResidual (fuse-inverted-residual: such a pair, > 1 MiB expanded, and the 1x1 projection, K <= 256)
//                                                                     -> x86/inverted_residual.h
//   kiln.InvertedResidual on an input plane of at most 16x16 (inverted_residual_cl_fits)
//                                                                     -> x86/inverted_residual_cl.h
//   kiln.ElementwiseChain, float, of vectorizable steps (elementwise_chain_fits: per-channel Mul/Add,
//   Relu, Clip, Max...; scalar, same-shape or per-channel operands)        -> x86/elementwise_chain.h
//   Add, Sub, Mul, Div, float, one input of the output's shape, the other scalar, per-channel (runs >= 16) or
//   same-shape                                                          -> x86/elementwise_chain.h, one step
// Weights a kernel wants in another layout are packed here (pack.h) into new weight arrays; the layer then
// does not read the original, which is left out of the generated code.
#include "backends/x86/x86_backend.h"

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/x86/kernels/depthwise_pack.h"
#include "backends/x86/kernels/elementwise_chain_rule.h"
#include "backends/x86/kernels/first_conv_pack.h"
#include "backends/x86/kernels/inverted_residual_cl_pack.h"
#include "backends/x86/kernels/inverted_residual_pack.h"
#include "backends/x86/kernels/pack.h"
#include "backends/x86/kernels/pointwise_depthwise_pack.h"
#include "backends/x86/kernels/winograd4_pack.h"
#include "ops/chain_plan.h"
#include "ops/conv_plan.h"
#include "ops/fused_plan.h"
#include "ops/pool_plan.h"
#include "ops/registry.h"

namespace kiln {
namespace {

namespace xk = kernels::x86;

struct IsaInfo {
    const char* type;  // the traits struct in generated code
    int64_t mr, nr, lanes;
};

IsaInfo isa_info(const TargetInfo& t) {
    if (t.isa == "avx512") return {"k::x86::Avx512", xk::Avx512Tile::kMr, xk::Avx512Tile::kNr, 16};
    return {"k::x86::Avx2", xk::Avx2Tile::kMr, xk::Avx2Tile::kNr, 8};
}

std::string epilogue_init(const kernels::Epilogue& e) {
    return fmt::format("{{{}, {}, {}}}", e.activation, c_float(e.p0), c_float(e.p1));
}

std::string optional_float(EmitCtx& c, std::size_t i) {
    return c.has_input(i) ? c.in(i) : std::string("static_cast<const float*>(nullptr)");
}

bool is_fused(NodeCtx& c) { return c.node().domain == kInternalDomain; }

// ---- convolutions -----------------------------------------------------------------------------

enum class ConvKernel {
    kNone,
    kDepthwise3x3,
    kDepthwiseGeneric,
    kWinograd4x4,
    kWinograd3x3,
    kPacked,
    kChannelsInLanes,
    kFirstLayer
};

// Output planes up to this many pixels run conv_cl when their channels fill its panels.
constexpr int64_t kClMaxPixels = 64;

struct ConvChoice {
    ConvKernel kernel = ConvKernel::kNone;
    ConvPlan plan;
    kernels::Epilogue epilogue{};
};

// The plan of a Conv or FusedConv node and the x86 kernel that runs it (kNone: portable).
ConvChoice choose_conv(NodeCtx& c, const TargetInfo& t) {
    ConvChoice ch;
    if (c.in_dtype(0) != DType::Float32 || !c.const_input(1)) return ch;
    if (c.has_input(2) && !c.const_input(2)) return ch;  // a computed bias: rare, portable
    if (!make_conv_plan(c, &ch.plan) || !make_epilogue(c, &ch.epilogue)) return ch;
    const kernels::ConvParams& p = ch.plan.params;
    const kernels::Window& w = p.win;
    if (c.in_shape(0).size() > 4 || w.in[0] != 1) return ch;  // 3-D convolutions stay portable
    const bool depthwise = p.groups == p.in_channels && p.out_channels == p.in_channels;
    if (depthwise && w.kernel[1] == 3 && w.kernel[2] == 3 && w.stride[1] == w.stride[2] &&
        (w.stride[1] == 1 || w.stride[1] == 2) && w.dilation[1] == 1 && w.dilation[2] == 1) {
        ch.kernel = ConvKernel::kDepthwise3x3;
        return ch;
    }
    if (depthwise) {  // 5x5, 7x7, dilated, other strides: one filter per channel, vectorized along the row
        ch.kernel = ConvKernel::kDepthwiseGeneric;
        return ch;
    }
    // First layers (1-4 input channels): output pixels in lanes over a zero-padded, stride-split copy of the
    // input rows (first_conv.h; test/x86 first_conv_bench, AVX-512 / AVX2 us: ResNet-18 conv1 1961 -> 1430 /
    // 3408 -> 2925, SqueezeNet conv1 535 -> 344 / 923 -> 568, MobileNetV2 conv0 300 -> 167 / 628 -> 300 against
    // the best of conv_packed and the former conv_direct_cl). 1x1 stays on conv_packed, which reads X in place.
    if (xk::first_conv_fits(p.in_channels, p.groups, w.kernel[1], w.kernel[2]) && w.kernel[1] * w.kernel[2] > 1) {
        ch.kernel = ConvKernel::kFirstLayer;
        return ch;
    }
    // Winograd F(4x4, 3x3) on planes of at least 13x13 (16 tiles) with 16 channels or more (test/x86
    // winograd4_bench against winograd_bench and conv_bench, README: 1.5-2.9x conv_packed from 13x13 up on both
    // ISAs; at 7x7 four tiles and filters 4x the weights leave it behind the direct kernels; 8-12 is mixed).
    const bool winograd_shape = p.groups == 1 && w.kernel[1] == 3 && w.kernel[2] == 3 && w.stride[1] == 1 &&
                                w.stride[2] == 1 && w.dilation[1] == 1 && w.dilation[2] == 1;
    if (winograd_shape && w.out[1] >= 13 && w.out[2] >= 13 && p.in_channels >= 16 && p.out_channels >= 16) {
        ch.kernel = ConvKernel::kWinograd4x4;
        return ch;
    }
    // Winograd F(2x2, 3x3) where it beats conv_packed (test/x86 winograd_bench vs conv_bench, README): the
    // tiles of a row fill at least 3/4 of their vectors (a 14-wide plane has 7 tiles: 7/8 of an AVX2 vector,
    // 7/16 of an AVX-512 one), at least 4 tile rows, and enough input channels that the transforms are a small
    // part (AVX-512's direct kernel is twice as fast, so it needs more).
    const int64_t lanes = t.isa == "avx512" ? 16 : 8;
    const int64_t tiles_w = (w.out[2] + 1) / 2, tiles_w_padded = (tiles_w + lanes - 1) / lanes * lanes;
    if (winograd_shape && 4 * tiles_w >= 3 * tiles_w_padded && w.out[1] >= 8 &&
        p.in_channels >= (lanes == 16 ? 32 : 16) && p.out_channels >= 16) {
        ch.kernel = ConvKernel::kWinograd3x3;
        return ch;
    }
    // Small planes (7x7, 8x8) with the output channels in lanes (conv_cl.h) when those fill whole panels (at
    // least 90% of the lanes): pixel strips of 49 leave lanes empty (ResNet-18's 7x7 layers, README: 114-120 ->
    // 130 GFLOP/s AVX-512, 62 -> 66 AVX2 in the model).
    const int64_t npix = w.out[1] * w.out[2], cog = p.out_channels / p.groups, nr = lanes * 2;
    const int64_t cog_padded = (cog + nr - 1) / nr * nr;
    if (npix <= kClMaxPixels && 10 * cog >= 9 * cog_padded) {
        ch.kernel = ConvKernel::kChannelsInLanes;
        return ch;
    }
    ch.kernel = ConvKernel::kPacked;  // any other 1-D/2-D convolution: packed GEMM over an implicit im2col
    return ch;
}

// Tile rows per block of a Winograd layer (the kernel's blocking rule, pack.h / winograd4_pack.h).
int64_t winograd_rows(const ConvChoice& ch, const IsaInfo& isa) {
    const kernels::ConvParams& p = ch.plan.params;
    const kernels::Window& w = p.win;
    if (ch.kernel == ConvKernel::kWinograd4x4)
        return xk::winograd4_block_rows(p.in_channels, p.out_channels, w.out[1], w.out[2], isa.lanes);
    return xk::winograd_block_rows(p.in_channels, p.out_channels, w.out[1], w.out[2], isa.lanes);
}

// conv_packed's tile for the layer (pack.h conv_tile_for: the default, or 8 x 3 on AVX-512 for channel counts
// 14-row panels would pad).
xk::ConvTile packed_tile(const kernels::ConvParams& p, const IsaInfo& isa) {
    return xk::conv_tile_for(p.out_channels / p.groups, p.in_channels / p.groups * p.win.kernel[1] * p.win.kernel[2],
                             p.win.out[1] * p.win.out[2], isa.lanes);
}

bool choose_conv_override(NodeCtx& c, const TargetInfo& t, std::size_t* workspace) {
    ConvChoice ch = choose_conv(c, t);
    const IsaInfo isa = isa_info(t);
    const kernels::ConvParams& p = ch.plan.params;
    const kernels::Window& w = p.win;
    if (ch.kernel == ConvKernel::kPacked)
        *workspace = std::size_t(xk::conv_packed_workspace_floats(&w.in[1], &w.out[1], &w.kernel[1], &w.stride[1],
                                                                  &w.dilation[1], &w.pad[1], p.in_channels / p.groups,
                                                                  packed_tile(p, isa).nr)) * 4;
    if (ch.kernel == ConvKernel::kChannelsInLanes)
        *workspace = std::size_t(xk::conv_cl_workspace_floats(w.out[1] * w.out[2], p.in_channels / p.groups,
                                                              w.kernel[1] * w.kernel[2], p.out_channels / p.groups,
                                                              xk::conv_cl_mr(w.out[1] * w.out[2], isa.lanes),
                                                              isa.nr)) * 4;
    if (ch.kernel == ConvKernel::kDepthwise3x3) {
        // Scratch only where the kernel takes its channels-in-lanes path (narrow planes, depthwise_pack.h).
        const xk::Depthwise3x3Params dp{p.batch, p.in_channels, w.in[1], w.in[2], w.out[1],
                                        w.out[2], w.stride[1], w.pad[1], w.pad[2]};
        *workspace = std::size_t(xk::depthwise3x3_workspace_floats(dp, isa.lanes)) * 4;
    }
    if (ch.kernel == ConvKernel::kDepthwiseGeneric)  // 0 where the row kernel runs (large planes)
        *workspace = std::size_t(xk::depthwise_generic_workspace_floats(&w.in[1], &w.out[1], &w.kernel[1], &w.stride[1],
                                                                        &w.dilation[1], &w.pad[1], isa.lanes)) * 4;
    if (ch.kernel == ConvKernel::kFirstLayer)
        *workspace = std::size_t(xk::first_conv_workspace_floats(&w.out[1], &w.kernel[1], &w.stride[1],
                                                                 &w.dilation[1], p.in_channels, isa.lanes)) * 4;
    if (ch.kernel == ConvKernel::kWinograd4x4)
        *workspace = std::size_t(xk::winograd4_workspace_floats(p.in_channels, p.out_channels, w.out[2],
                                                                 winograd_rows(ch, isa), isa.lanes)) * 4;
    if (ch.kernel == ConvKernel::kWinograd3x3)
        *workspace = std::size_t(xk::winograd_workspace_floats(p.in_channels, p.out_channels, w.out[2],
                                                                winograd_rows(ch, isa), isa.lanes)) * 4;
    return ch.kernel != ConvKernel::kNone;
}

// The layer's weights (input `input`) as pack_conv_weights lays them out for `panel` rows per panel (conv_packed: MR
// output channels broadcast; conv_cl: NR output channels in lanes), defined as a derived weight array named
// after the layer and `suffix`.
std::string define_conv_weights(EmitCtx& c, const kernels::ConvParams& p, int64_t panel, const std::string& panels,
                                int64_t k_block = xk::ConvBlocking::kKBlock, std::size_t input = 1,
                                const char* suffix = "w") {
    const kernels::Window& w = p.win;
    const Tensor& wt = *c.const_input(input);
    const int64_t cout = p.out_channels, area = w.kernel[1] * w.kernel[2], k = p.in_channels / p.groups * area;
    Tensor packed(DType::Float32, Shape{xk::conv_packed_weight_floats(cout, k, p.groups, panel)});
    xk::pack_conv_weights(wt.data<float>(), cout, p.in_channels / p.groups, area, p.groups, panel,
                          packed.data<float>(), k_block);
    return c.define_weight(std::move(packed), suffix,
                           fmt::format("{}: {}x{} weights ({}x{} kernel{}) packed in K blocks of {}", c.layer_name(),
                                       cout, k, w.kernel[1], w.kernel[2],
                                       p.groups > 1 ? fmt::format(", {} groups", p.groups) : "", panels));
}

Status emit_conv_override(EmitCtx& c, const TargetInfo& t) {
    ConvChoice ch = choose_conv(c, t);
    KILN_TRY(c.status());
    const IsaInfo isa = isa_info(t);
    const kernels::ConvParams& p = ch.plan.params;
    const kernels::Window& w = p.win;
    const std::string z = is_fused(c) ? optional_float(c, 3) : "static_cast<const float*>(nullptr)";
    const std::string ep = c.define_params("k::Epilogue", epilogue_init(ch.epilogue), "epilogue");
    switch (ch.kernel) {
    case ConvKernel::kDepthwise3x3: {
        c.use_kernel("x86/depthwise.h");
        const std::string dp = c.define_params(
            "k::x86::Depthwise3x3Params", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.batch, p.in_channels,
                                                      w.in[1], w.in[2], w.out[1], w.out[2], w.stride[1], w.pad[1], w.pad[2]),
            "dw");
        std::size_t ws = 0;
        choose_conv_override(c, t, &ws);
        c.call("k::x86::depthwise3x3<{}>({}, {}, {}, {}, {}, {}, {}, {});", isa.type, c.in(0), c.in(1),
               optional_float(c, 2), z, c.out(0), dp, ep,
               ws > 0 ? c.workspace("float") : std::string("static_cast<float*>(nullptr)"));
        return Status::ok();
    }
    case ConvKernel::kDepthwiseGeneric: {
        c.use_kernel("x86/depthwise_generic.h");
        const std::string cp = c.define_params("k::ConvParams", conv_params_init(p));
        std::size_t ws = 0;
        choose_conv_override(c, t, &ws);
        c.call("k::x86::depthwise_generic<{}>({}, {}, {}, {}, {}, {}, {}, {});", isa.type, c.in(0), c.in(1),
               optional_float(c, 2), z, c.out(0), cp, ep,
               ws > 0 ? c.workspace("float") : std::string("static_cast<float*>(nullptr)"));
        return Status::ok();
    }
    case ConvKernel::kPacked: {
        c.use_kernel("x86/conv_packed.h");
        const xk::ConvTile tile = packed_tile(p, isa);
        const std::string pw = define_conv_weights(c, p, tile.mr, fmt::format("{}-row panels", tile.mr));
        const std::string cp = c.define_params("k::ConvParams", conv_params_init(p));
        std::size_t ws = 0;
        choose_conv_override(c, t, &ws);
        const std::string targs = tile.mr == isa.mr && tile.nr == isa.nr
                                      ? std::string(isa.type)
                                      : fmt::format("{}, {}, {}", isa.type, tile.mr, tile.nr / isa.lanes);
        c.call("k::x86::conv_packed<{}>({}, {}, {}, {}, {}, {}, {}, {});", targs, c.in(0), pw, optional_float(c, 2), z,
               c.out(0), cp, ep, ws > 0 ? c.workspace("float") : std::string("static_cast<float*>(nullptr)"));
        return Status::ok();
    }
    case ConvKernel::kChannelsInLanes: {
        c.use_kernel("x86/conv_cl.h");
        const std::string pw =
            define_conv_weights(c, p, isa.nr, fmt::format("panels of {} output channels", isa.nr),
                                xk::conv_cl_k_block(isa.nr));
        const std::string cp = c.define_params("k::ConvParams", conv_params_init(p));
        // Output pixels per tile (pack.h conv_cl_mr): 7 / 5 on 7x7 planes (test/x86 conv_bench x86_cl_alt against
        // x86_cl, GFLOP/s: AVX-512 MobileNetV2 960 -> 160 133 -> 147, 320 -> 1280 133 -> 145, ResNet-18 512 -> 512
        // 3x3 139 -> 150; AVX2 +3-5%); 14x14 planes keep the default (the other loses 2-7% there).
        const int64_t mr = xk::conv_cl_mr(w.out[1] * w.out[2], isa.lanes);
        const std::string targs = mr == isa.mr ? std::string(isa.type) : fmt::format("{}, {}", isa.type, mr);
        c.call("k::x86::conv_cl<{}>({}, {}, {}, {}, {}, {}, {}, {});", targs, c.in(0), pw, optional_float(c, 2), z,
               c.out(0), cp, ep, c.workspace("float"));
        return Status::ok();
    }
    case ConvKernel::kFirstLayer: {
        c.use_kernel("x86/first_conv.h");
        const Tensor& wt = *c.const_input(1);
        const int64_t area = w.kernel[1] * w.kernel[2], co = xk::first_conv_co(int(isa.lanes));
        Tensor packed(DType::Float32, Shape{xk::first_conv_weight_floats(p.out_channels, p.in_channels, area, co)});
        xk::pack_first_conv_weights(wt.data<float>(), p.out_channels, p.in_channels, area, co, packed.data<float>());
        const std::string pw = c.define_weight(
            std::move(packed), "w",
            fmt::format("{}: {}x{} weights ({}x{} kernel) packed in blocks of {} output channels", c.layer_name(),
                        p.out_channels, p.in_channels * area, w.kernel[1], w.kernel[2], co));
        const std::string cp = c.define_params("k::ConvParams", conv_params_init(p));
        c.call("k::x86::first_conv<{}>({}, {}, {}, {}, {}, {}, {}, {});", isa.type, c.in(0), pw, optional_float(c, 2),
               z, c.out(0), cp, ep, c.workspace("float"));
        return Status::ok();
    }
    case ConvKernel::kWinograd4x4:
    case ConvKernel::kWinograd3x3: {
        const bool f4 = ch.kernel == ConvKernel::kWinograd4x4;  // F(4x4, 3x3), else F(2x2, 3x3)
        c.use_kernel(f4 ? "x86/winograd4.h" : "x86/winograd.h");
        const Tensor& wt = *c.const_input(1);
        const int64_t cout = p.out_channels, cin = p.in_channels;
        Tensor packed(DType::Float32, Shape{f4 ? xk::winograd4_packed_floats(cout, cin, isa.mr)
                                               : xk::winograd_packed_floats(cout, cin, isa.mr)});
        (f4 ? xk::winograd4_pack_weights : xk::winograd_pack_weights)(wt.data<float>(), cout, cin, isa.mr,
                                                                      packed.data<float>());
        const std::string pw = c.define_weight(
            std::move(packed), "u",
            fmt::format("{}: {}x{} 3x3 filters, Winograd {} transformed and packed in {}-row panels", c.layer_name(),
                        cout, cin, f4 ? "F(4x4,3x3)" : "F(2x2,3x3)", isa.mr));
        const int64_t rows = winograd_rows(ch, isa);
        const std::string wp = c.define_params(
            "k::x86::WinogradParams", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.batch, cin, cout,
                                                  w.in[1], w.in[2], w.out[1], w.out[2], w.pad[1], w.pad[2], rows),
            "wino");
        c.call("k::x86::{}<{}>({}, {}, {}, {}, {}, {}, {}, {});", f4 ? "winograd4x4_3x3" : "winograd3x3", isa.type,
               c.in(0), pw, optional_float(c, 2), z, c.out(0), wp, ep, c.workspace("float"));
        return Status::ok();
    }
    case ConvKernel::kNone: break;
    }
    return c.fail("internal: x86 convolution emitted without a kernel");
}

// ---- Gemm, FusedGemm, MatMul ------------------------------------------------------------------

struct GemmChoice {
    bool ok = false;
    int64_t m = 0, n = 0, k = 0;
    bool trans_b = false;
    float alpha = 1.0f;
    bool has_bias = false;  // C broadcast along rows: a bias per column, times beta
    kernels::Epilogue epilogue{};
};

GemmChoice choose_gemm(NodeCtx& c) {
    GemmChoice ch;
    if (c.in_dtype(0) != DType::Float32 || !c.const_input(1)) return ch;
    if (c.node().op_type == "MatMul") {
        const Shape& a = c.in_shape(0);
        const Shape& b = c.in_shape(1);
        if (a.size() < 2 || b.size() != 2 || a.back() != b[0]) return ch;
        ch.m = shape_numel(Shape(a.begin(), a.end() - 1));
        ch.k = b[0];
        ch.n = b[1];
        ch.ok = ch.m > 0 && ch.n > 0 && ch.k > 0;
        return ch;
    }
    GemmPlan plan;
    if (!make_fused_gemm(c, &plan, &ch.epilogue)) return ch;
    const kernels::GemmParams& p = plan.params;
    if (p.trans_a) return ch;
    // C: absent, or one value per column (a [N] or [1, N] bias), constant so beta folds into it.
    if (p.has_c && (p.c_row_stride != 0 || p.c_col_stride != 1 || !c.const_input(2))) return ch;
    ch.m = p.m;
    ch.n = p.n;
    ch.k = p.k;
    ch.trans_b = p.trans_b != 0;
    ch.alpha = p.alpha;
    ch.has_bias = p.has_c != 0 && p.beta != 0.0f;
    ch.ok = ch.m > 0 && ch.n > 0 && ch.k > 0;
    return ch;
}

bool choose_gemm_override(NodeCtx& c, const TargetInfo&, std::size_t* workspace) {
    *workspace = 0;
    return choose_gemm(c).ok;
}

Status emit_gemm_override(EmitCtx& c, const TargetInfo& t) {
    GemmChoice ch = choose_gemm(c);
    KILN_TRY(c.status());
    if (!ch.ok) return c.fail("internal: x86 Gemm emitted without a kernel");
    const IsaInfo isa = isa_info(t);
    c.use_kernel("x86/gemm_packed.h");
    Tensor packed(DType::Float32, Shape{xk::packed_b_floats(ch.k, ch.n, isa.nr)});
    xk::pack_b(c.const_input(1)->data<float>(), ch.k, ch.n, ch.trans_b, ch.alpha, isa.nr, packed.data<float>());
    const std::string pb = c.define_weight(
        std::move(packed), "b",
        fmt::format("{}: {}x{} weights{} packed in {}-column panels", c.layer_name(), ch.k, ch.n,
                    ch.alpha != 1.0f ? " times alpha" : "", isa.nr));
    std::string bias = "static_cast<const float*>(nullptr)";
    if (ch.has_bias) {
        GemmPlan plan;
        kernels::Epilogue unused{};
        KILN_TRY(make_fused_gemm(c, &plan, &unused));
        const Tensor& cv = *c.const_input(2);
        Tensor b(DType::Float32, Shape{ch.n});
        for (int64_t j = 0; j < ch.n; ++j) b.data<float>()[j] = plan.params.beta * cv.data<float>()[j];
        bias = plan.params.beta == 1.0f ? c.in(2) : c.define_weight(std::move(b), "bias", c.layer_name() + ": beta * C");
    }
    const bool fused = is_fused(c);
    const std::string z = fused ? optional_float(c, 3) : "static_cast<const float*>(nullptr)";
    const std::string ep = c.define_params("k::Epilogue", epilogue_init(ch.epilogue), "epilogue");
    c.call("k::x86::gemm_packed_b<{}>({}, {}, {}, {}, {}, {}, {}, {}, {}, {});", isa.type, c.in(0), ch.k, pb, bias, z,
           c.out(0), ch.m, ch.n, ch.k, ep);
    return Status::ok();
}

// ---- pooling ----------------------------------------------------------------------------------

// MaxPool (without its Indices output), AveragePool and GlobalAveragePool over float.
template <PoolKind K, bool Global>
bool choose_pool(NodeCtx& c, const TargetInfo&, std::size_t* workspace) {
    *workspace = 0;
    if (c.in_dtype(0) != DType::Float32 || c.has_output(1)) return false;
    PoolPlan plan;
    return bool(make_pool_plan(c, K, Global, &plan));
}

template <PoolKind K, bool Global>
Status emit_pool(EmitCtx& c, const TargetInfo& t) {
    PoolPlan plan;
    KILN_TRY(make_pool_plan(c, K, Global, &plan));
    const IsaInfo isa = isa_info(t);
    c.use_kernel("x86/pool.h");
    if (Global) {
        const kernels::PoolParams& p = plan.params;
        c.call("k::x86::global_avg_pool<{}>({}, {}, {}, {});", isa.type, c.in(0), c.out(0), p.planes,
               p.win.in[0] * p.win.in[1] * p.win.in[2]);
        return Status::ok();
    }
    const std::string p = c.define_params("k::PoolParams", c_pool_params(plan.params));
    c.call("k::x86::{}<{}>({}, {}, {});", K == PoolKind::Max ? "max_pool" : "avg_pool", isa.type, c.in(0), c.out(0), p);
    return Status::ok();
}

// ---- 1x1 + depthwise (kiln.PointwiseDepthwise) ------------------------------------------------------

struct PointwiseDepthwiseChoice {
    ConvPlan pw, dw;
    kernels::Epilogue e1{}, e2{};
    xk::Depthwise3x3Params dp{};
};

// The node's plans when the fused kernel runs it (the pass fuses only what pointwise_depthwise_fits admits; a
// pair it cannot run, e.g. from a hand-written model, stays on the portable kernel).
bool pointwise_depthwise_plan(NodeCtx& c, PointwiseDepthwiseChoice* ch) {
    if (c.in_dtype(0) != DType::Float32 || !c.const_input(1)) return false;
    if (!make_pointwise_depthwise(c, &ch->pw, &ch->dw, &ch->e1, &ch->e2)) return false;
    const kernels::Window& w = ch->dw.params.win;
    if (!xk::pointwise_depthwise_fits(ch->pw.params.in_channels, w.in[1], w.in[2], w.kernel[1], w.kernel[2],
                                      w.stride[1], w.stride[2], w.dilation[1], w.dilation[2]))
        return false;
    ch->dp = xk::Depthwise3x3Params{ch->dw.params.batch, ch->dw.params.in_channels, w.in[1], w.in[2], w.out[1],
                                    w.out[2], w.stride[1], w.pad[1], w.pad[2]};
    return true;
}

bool choose_pointwise_depthwise(NodeCtx& c, const TargetInfo& t, std::size_t* workspace) {
    *workspace = 0;
    PointwiseDepthwiseChoice ch;
    if (!pointwise_depthwise_plan(c, &ch)) return false;
    const IsaInfo isa = isa_info(t);
    *workspace = std::size_t(xk::pointwise_depthwise_workspace_floats(ch.dp, isa.mr, isa.lanes)) * 4;
    return true;
}

Status emit_pointwise_depthwise(EmitCtx& c, const TargetInfo& t) {
    PointwiseDepthwiseChoice ch;
    if (!pointwise_depthwise_plan(c, &ch)) return c.fail("is not a 1x1 + depthwise pair the x86 kernel runs");
    const IsaInfo isa = isa_info(t);
    c.use_kernel("x86/pointwise_depthwise.h");
    const std::string pw = define_conv_weights(c, ch.pw.params, isa.mr, fmt::format("{}-row panels", isa.mr));
    const std::string p1 = c.define_params("k::ConvParams", conv_params_init(ch.pw.params), "pw");
    const std::string ep1 = c.define_params("k::Epilogue", epilogue_init(ch.e1), "pw_epilogue");
    const std::string ep2 = c.define_params("k::Epilogue", epilogue_init(ch.e2), "epilogue");
    const xk::Depthwise3x3Params& d = ch.dp;
    const std::string dp = c.define_params(
        "k::x86::Depthwise3x3Params", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}}}", d.batch, d.channels, d.in_h,
                                                  d.in_w, d.out_h, d.out_w, d.stride, d.pad_top, d.pad_left),
        "dw");
    c.call("k::x86::pointwise_depthwise<{}>({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", isa.type, c.in(0), pw,
           optional_float(c, 2), c.in(3), optional_float(c, 4), optional_float(c, 5), c.out(0), p1, ep1, dp, ep2,
           c.workspace("float"));
    return Status::ok();
}

// ---- expansion + depthwise + projection (kiln.InvertedResidual) ------------------------------------

struct InvertedResidualChoice {
    ConvPlan pw, dw, pj;
    kernels::Epilogue e1{}, e2{}, e3{};
    xk::InvertedResidualParams ip{};
    bool channels_last = false;  // inverted_residual_cl.h (small planes), else the band kernel
    int64_t cl_mr = 0;           // its tile rows
};

// The node's plans when an x86 kernel runs it: the band kernel on the planes of 56x56 and up that the pass fuses
// (pointwise_depthwise_fits and inverted_residual_fits), the channels-in-lanes kernel on planes of up to 16x16
// (inverted_residual_cl_fits). A triple neither runs (e.g. from a hand-written model) stays on the portable kernel.
bool inverted_residual_plan(NodeCtx& c, const TargetInfo& t, InvertedResidualChoice* ch) {
    if (c.in_dtype(0) != DType::Float32 || !c.const_input(1) || !c.const_input(5)) return false;
    if (!make_inverted_residual(c, &ch->pw, &ch->dw, &ch->pj, &ch->e1, &ch->e2, &ch->e3)) return false;
    const kernels::Window& w = ch->dw.params.win;
    const int64_t cin = ch->pw.params.in_channels, channels = ch->dw.params.in_channels;
    const bool band = xk::pointwise_depthwise_fits(cin, w.in[1], w.in[2], w.kernel[1], w.kernel[2], w.stride[1],
                                                   w.stride[2], w.dilation[1], w.dilation[2]) &&
                      xk::inverted_residual_fits(channels, w.in[1], w.in[2]);
    const bool cl = w.kernel[1] == 3 && w.kernel[2] == 3 && w.stride[1] == w.stride[2] && w.dilation[1] == 1 &&
                    w.dilation[2] == 1 && xk::inverted_residual_cl_fits(cin, w.in[1], w.in[2], w.stride[1]) &&
                    c.const_input(3) && (!c.has_input(4) || c.const_input(4));
    if (!band && !cl) return false;
    ch->channels_last = !band;
    ch->cl_mr = xk::inverted_residual_cl_mr(w.out[1] * w.out[2], isa_info(t).lanes);
    ch->ip = xk::InvertedResidualParams{ch->pw.params.batch, cin, channels, ch->pj.params.out_channels, w.in[1],
                                        w.in[2], w.out[1], w.out[2], w.stride[1], w.pad[1], w.pad[2],
                                        band ? xk::inverted_residual_band_rows(w.out[1]) : 0};
    return true;
}

bool choose_inverted_residual(NodeCtx& c, const TargetInfo& t, std::size_t* workspace) {
    *workspace = 0;
    InvertedResidualChoice ch;
    if (!inverted_residual_plan(c, t, &ch)) return false;
    const IsaInfo isa = isa_info(t);
    const int64_t floats = ch.channels_last ? xk::inverted_residual_cl_workspace_floats(ch.ip, ch.cl_mr, isa.nr)
                                            : xk::inverted_residual_workspace_floats(ch.ip, isa.mr);
    *workspace = std::size_t(floats) * 4;
    return true;
}

std::string inverted_residual_params(EmitCtx& c, const xk::InvertedResidualParams& d) {
    return c.define_params(
        "k::x86::InvertedResidualParams",
        fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", d.batch, d.in_channels, d.channels,
                    d.out_channels, d.in_h, d.in_w, d.out_h, d.out_w, d.stride, d.pad_top, d.pad_left, d.band_rows),
        "block");
}

// The channels-in-lanes kernel: the three weight tensors (and the depthwise bias) packed into one array.
Status emit_inverted_residual_cl(EmitCtx& c, const TargetInfo& t, const InvertedResidualChoice& ch) {
    const IsaInfo isa = isa_info(t);
    c.use_kernel("x86/inverted_residual_cl.h");
    const xk::InvertedResidualParams& d = ch.ip;
    const xk::IrClPacking k = xk::inverted_residual_cl_packing(d.in_channels, d.channels, d.out_channels, isa.nr);
    Tensor packed(DType::Float32, Shape{k.floats});
    const Tensor* bd = c.has_input(4) ? c.const_input(4) : nullptr;
    xk::pack_inverted_residual_cl_weights(c.const_input(1)->data<float>(), c.const_input(3)->data<float>(),
                                          bd ? bd->data<float>() : nullptr, c.const_input(5)->data<float>(),
                                          d.in_channels, d.channels, d.out_channels, d.out_h * d.out_w, isa.nr,
                                          isa.lanes, packed.data<float>());
    const std::string w = c.define_weight(
        std::move(packed), "w",
        fmt::format("{}: expansion {}x{}, depthwise {}x3x3 + bias, projection {}x{}, in {}-channel panels",
                    c.layer_name(), d.channels, d.in_channels, d.channels, d.out_channels, d.channels, isa.nr));
    const std::string ep1 = c.define_params("k::Epilogue", epilogue_init(ch.e1), "pw_epilogue");
    const std::string ep2 = c.define_params("k::Epilogue", epilogue_init(ch.e2), "dw_epilogue");
    const std::string ep3 = c.define_params("k::Epilogue", epilogue_init(ch.e3), "epilogue");
    const std::string ip = inverted_residual_params(c, d);
    c.call("k::x86::inverted_residual_cl<{}, {}>({}, {}, {}, {} + {}, {} + {}, {}, {}, {}, {}, {}, {}, {}, {});",
           isa.type, ch.cl_mr, c.in(0), w, optional_float(c, 2), w, k.wd_offset, w, k.w2_offset,
           optional_float(c, 6), optional_float(c, 7), c.out(0), ip, ep1, ep2, ep3, c.workspace("float"));
    return Status::ok();
}

Status emit_inverted_residual(EmitCtx& c, const TargetInfo& t) {
    InvertedResidualChoice ch;
    if (!inverted_residual_plan(c, t, &ch)) return c.fail("is not an inverted-residual block the x86 kernel runs");
    if (ch.channels_last) return emit_inverted_residual_cl(c, t, ch);
    const IsaInfo isa = isa_info(t);
    c.use_kernel("x86/inverted_residual.h");
    const std::string panels = fmt::format("{}-row panels", isa.mr);
    const std::string w1 = define_conv_weights(c, ch.pw.params, isa.mr, panels);
    const std::string w2 = define_conv_weights(c, ch.pj.params, isa.mr, panels, xk::ConvBlocking::kKBlock, 5, "proj_w");
    const std::string ep1 = c.define_params("k::Epilogue", epilogue_init(ch.e1), "pw_epilogue");
    const std::string ep2 = c.define_params("k::Epilogue", epilogue_init(ch.e2), "dw_epilogue");
    const std::string ep3 = c.define_params("k::Epilogue", epilogue_init(ch.e3), "epilogue");
    const std::string ip = inverted_residual_params(c, ch.ip);
    c.call("k::x86::inverted_residual<{}>({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", isa.type,
           c.in(0), w1, optional_float(c, 2), c.in(3), optional_float(c, 4), w2, optional_float(c, 6),
           optional_float(c, 7), c.out(0), ip, ep1, ep2, ep3, c.workspace("float"));
    return Status::ok();
}

// ---- elementwise chains ---------------------------------------------------------------------------

// A float chain whose steps the x86 kernel computes exactly as the portable one (elementwise_chain_rule.h):
// e.g. the per-channel Mul + Add + Relu of a BatchNorm that precedes a convolution (DenseNet: 62 such chains,
// 16.8 of its 54.9 ms on the portable kernel, AVX-512).
bool choose_chain(NodeCtx& c, const TargetInfo&, std::size_t* workspace) {
    *workspace = 0;
    if (c.in_dtype(0) != DType::Float32) return false;
    kernels::ChainParams p;
    return make_chain_params(c, &p) && xk::elementwise_chain_fits(p);
}

Status emit_chain(EmitCtx& c, const TargetInfo& t) {
    kernels::ChainParams p;
    KILN_TRY(make_chain_params(c, &p));
    c.use_kernel("x86/elementwise_chain.h");
    std::vector<std::string> ins;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) ins.push_back(c.in(i));
    const std::string params = c.define_params("k::ChainParams", c_chain_params(p));
    c.call("k::x86::elementwise_chain<{}>(k::ChainInputs<float>{{{{{}}}}}, {}, {});", isa_info(t).type,
           fmt::join(ins, ", "), c.out(0), params);
    return Status::ok();
}

// A float Add/Sub/Mul/Div whose one input has the output's shape and the other is a scalar, per-channel or
// same-shape operand, as a one-step chain on the same kernel (fuse-elementwise leaves single ops alone): e.g.
// the squeeze-and-excitation scaling x[N, C, H, W] * s[N, C, 1, 1] of EfficientNet and MobileNetV3, which the
// portable broadcasting kernel runs index by index.
template <int32_t kOp>
bool choose_binary(NodeCtx& c, const TargetInfo&, std::size_t* workspace) {
    *workspace = 0;
    kernels::ChainParams p;
    std::size_t running = 0;
    return binary_as_chain(c, kOp, &p, &running) && c.in_dtype(0) == DType::Float32 &&
           xk::elementwise_chain_fits(p);
}

template <int32_t kOp>
Status emit_binary(EmitCtx& c, const TargetInfo& t) {
    kernels::ChainParams p;
    std::size_t running = 0;
    if (!binary_as_chain(c, kOp, &p, &running)) return c.fail("internal error: not a one-step chain");
    c.use_kernel("x86/elementwise_chain.h");
    const std::string params = c.define_params("k::ChainParams", c_chain_params(p));
    c.call("k::x86::elementwise_chain<{}>(k::ChainInputs<float>{{{{{}, {}}}}}, {}, {});", isa_info(t).type,
           c.in(running), c.in(1 - running), c.out(0), params);
    return Status::ok();
}

}  // namespace

const std::vector<OpOverride>& x86_overrides() {
    static const std::vector<OpOverride> ops = {
        {"", "Conv", choose_conv_override, emit_conv_override},
        {kInternalDomain, "FusedConv", choose_conv_override, emit_conv_override},
        {"", "Gemm", choose_gemm_override, emit_gemm_override},
        {kInternalDomain, "FusedGemm", choose_gemm_override, emit_gemm_override},
        {"", "MatMul", choose_gemm_override, emit_gemm_override},
        {"", "MaxPool", choose_pool<PoolKind::Max, false>, emit_pool<PoolKind::Max, false>},
        {"", "AveragePool", choose_pool<PoolKind::Average, false>, emit_pool<PoolKind::Average, false>},
        {"", "GlobalAveragePool", choose_pool<PoolKind::Average, true>, emit_pool<PoolKind::Average, true>},
        {kInternalDomain, "ElementwiseChain", choose_chain, emit_chain},
        {"", "Add", choose_binary<kernels::kChainAdd>, emit_binary<kernels::kChainAdd>},
        {"", "Sub", choose_binary<kernels::kChainSub>, emit_binary<kernels::kChainSub>},
        {"", "Mul", choose_binary<kernels::kChainMul>, emit_binary<kernels::kChainMul>},
        {"", "Div", choose_binary<kernels::kChainDiv>, emit_binary<kernels::kChainDiv>},
        {kInternalDomain, "PointwiseDepthwise", choose_pointwise_depthwise, emit_pointwise_depthwise},
        {kInternalDomain, "InvertedResidual", choose_inverted_residual, emit_inverted_residual},
    };
    return ops;
}

}  // namespace kiln
