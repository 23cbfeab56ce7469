// Tensors the spectral ops are used with: HannWindow, HammingWindow, BlackmanWindow (periodic,
// output_datatype) and MelWeightMatrix. The window size, num_mel_bins and dft_length decide output shapes,
// so they must be constants; a window then has only constant inputs and folds into a constant, and so does
// a mel matrix whose sample rate and edge frequencies are constants too. Kernels: spectral_windows.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/spectral_windows.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

// output_datatype: any numeric type (default float).
Status output_datatype(NodeCtx& c, DType* out) {
    const int64_t v = c.attr_int("output_datatype", 1);
    KILN_TRY(c.status());
    *out = dtype_from_onnx(int(v));
    if (!dtype_supported(*out) || (!dtype_is_float(*out) && !dtype_is_integer(*out)))
        return c.fail("attribute output_datatype={} is not supported (expected a numeric type)", v);
    return Status::ok();
}

// Calls f(TypeTag<Storage>{}, store) with the functor that converts a double into output type t.
template <typename F>
void dispatch_store(DType t, F&& f) {
    if (t == DType::Float16) return f(TypeTag<uint16_t>{}, kernels::ToF16{});
    if (t == DType::BFloat16) return f(TypeTag<uint16_t>{}, kernels::ToBF16{});
    dispatch_numeric(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        f(tag, kernels::CastTo<T>{});
    });
}

// The same functor as generated code writes it.
std::string store_expr(DType t) {
    if (t == DType::Float16) return "k::ToF16{}";
    if (t == DType::BFloat16) return "k::ToBF16{}";
    return fmt::format("k::CastTo<{}>{{}}", dtype_ctype(t));
}

// Integer input i (size, num_mel_bins...), a constant of at least `min`.
Status static_count(NodeCtx& c, std::size_t i, const char* what, int64_t min, int64_t* out) {
    if (!dtype_is_integer(c.in_dtype(i)))
        return c.fail("input {} ({}) has type {}, expected int32 or int64", i, what, dtype_name(c.in_dtype(i)));
    double v = 0;
    KILN_TRY(static_scalar(c, i, what, &v));
    if (v < double(min)) return c.fail("{} is {}, must be at least {}", what, v, min);
    *out = int64_t(v);
    return Status::ok();
}

// ---- HannWindow, HammingWindow, BlackmanWindow ---------------------------------------------------

struct Coefficients {
    double a0, a1, a2;
};
constexpr Coefficients kHann{0.5, 0.5, 0.0};
constexpr Coefficients kHamming{25.0 / 46.0, 21.0 / 46.0, 0.0};
constexpr Coefficients kBlackman{0.42, 0.5, 0.08};

Status window_params(NodeCtx& c, const Coefficients& k, kernels::CosineWindowParams* p, DType* out) {
    KILN_TRY(output_datatype(c, out));
    const bool periodic = c.attr_int("periodic", 1) != 0;
    KILN_TRY(c.status());
    int64_t size = 0;
    KILN_TRY(static_count(c, 0, "size", 0, &size));
    *p = kernels::CosineWindowParams{size, int32_t(periodic), k.a0, k.a1, k.a2};
    return Status::ok();
}

template <const Coefficients& K>
Status infer_window(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    kernels::CosineWindowParams p;
    DType t;
    KILN_TRY(window_params(c, K, &p, &t));
    c.set_output(0, t, {p.size});
    return c.status();
}

template <const Coefficients& K>
Status eval_window(EvalCtx& c) {
    kernels::CosineWindowParams p;
    DType t;
    KILN_TRY(window_params(c, K, &p, &t));
    dispatch_store(t, [&](auto tag, auto store) {
        using T = typename decltype(tag)::type;
        kernels::cosine_window(c.out(0).data<T>(), p, store);
    });
    return Status::ok();
}

template <const Coefficients& K>
Status emit_window(EmitCtx& c) {
    kernels::CosineWindowParams p;
    DType t;
    KILN_TRY(window_params(c, K, &p, &t));
    if (p.size == 0) return Status::ok();
    c.use_kernel("portable/spectral_windows.h");
    std::string params = c.define_params("k::CosineWindowParams", fmt::format("{{{}, {}, {}, {}, {}}}", p.size, p.periodic,
                                                                              c_double(p.a0), c_double(p.a1), c_double(p.a2)));
    c.call("k::cosine_window({}, {}, {});", c.out(0), params, store_expr(t));
    return Status::ok();
}

// ---- MelWeightMatrix -----------------------------------------------------------------------------

Status mel_params(NodeCtx& c, kernels::MelParams* p, DType* out) {
    KILN_TRY(output_datatype(c, out));
    KILN_TRY(static_count(c, 0, "num_mel_bins", 0, &p->num_mel_bins));
    KILN_TRY(static_count(c, 1, "dft_length", 1, &p->dft_length));
    if (!dtype_is_integer(c.in_dtype(2)))
        return c.fail("input 2 (sample_rate) has type {}, expected int32 or int64", dtype_name(c.in_dtype(2)));
    for (std::size_t i : {std::size_t(3), std::size_t(4)})
        if (!dtype_is_float(c.in_dtype(i)))
            return c.fail("input {} has type {}, expected a floating-point type", i, dtype_name(c.in_dtype(i)));
    const Tensor* rate = c.const_input(2);
    const Tensor* lower = c.const_input(3);
    const Tensor* upper = c.const_input(4);
    if (!rate || !lower || !upper) return Status::ok();  // checked below when all are known
    if (rate->as_double(0) <= 0) return c.fail("sample_rate is {}, must be positive", rate->as_double(0));
    // The reference indexes the matrix with the edge bins, so they must lie inside it.
    const kernels::MelScale s = kernels::mel_scale(*p, rate->as_double(0), lower->as_double(0), upper->as_double(0));
    const int64_t bins = p->dft_length / 2 + 1;
    for (int64_t e = 0; e < p->num_mel_bins + 2; ++e) {
        const int64_t b = kernels::mel_edge_bin(s, e);
        if (b < 0 || b >= bins)
            return c.fail("mel edge {} falls in spectrogram bin {}, outside 0..{} (edges {} Hz to {} Hz at {} Hz)", e, b,
                          bins - 1, lower->as_double(0), upper->as_double(0), rate->as_double(0));
    }
    return Status::ok();
}

Status infer_mel(InferCtx& c) {
    KILN_TRY(c.require_inputs(5, 5));
    for (std::size_t i = 2; i < 5; ++i)
        if (c.input(i).numel() != 1) return c.fail("input {} should hold one value, has shape {}", i, shape_str(c.in_shape(i)));
    kernels::MelParams p;
    DType t;
    KILN_TRY(mel_params(c, &p, &t));
    c.set_output(0, t, {p.dft_length / 2 + 1, p.num_mel_bins});
    return c.status();
}

Status eval_mel(EvalCtx& c) {
    kernels::MelParams p;
    DType t;
    KILN_TRY(mel_params(c, &p, &t));
    dispatch_store(t, [&](auto tag, auto store) {
        using T = typename decltype(tag)::type;
        kernels::mel_weight_matrix(c.out(0).data<T>(), p, c.in(2).as_double(0), c.in(3).as_double(0),
                                   c.in(4).as_double(0), store);
    });
    return Status::ok();
}

// Element 0 of input i as a double expression (float16/bfloat16 converted from their bit patterns).
std::string scalar_expr(EmitCtx& c, std::size_t i) {
    if (c.in_dtype(i) == DType::Float16) return fmt::format("double(k::f16_to_float({}[0]))", c.in(i));
    if (c.in_dtype(i) == DType::BFloat16) return fmt::format("double(k::bf16_to_float({}[0]))", c.in(i));
    return fmt::format("double({}[0])", c.in(i));
}

Status emit_mel(EmitCtx& c) {
    kernels::MelParams p;
    DType t;
    KILN_TRY(mel_params(c, &p, &t));
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/spectral_windows.h");
    std::string params = c.define_params("k::MelParams", fmt::format("{{{}, {}}}", p.num_mel_bins, p.dft_length));
    c.call("k::mel_weight_matrix({}, {}, {}, {}, {}, {});", c.out(0), params, scalar_expr(c, 2), scalar_expr(c, 3),
           scalar_expr(c, 4), store_expr(t));
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(BlackmanWindow, infer_window<kBlackman>, eval_window<kBlackman>, emit_window<kBlackman>)
KILN_DEFINE_OP(HammingWindow, infer_window<kHamming>, eval_window<kHamming>, emit_window<kHamming>)
KILN_DEFINE_OP(HannWindow, infer_window<kHann>, eval_window<kHann>, emit_window<kHann>)
KILN_DEFINE_OP(MelWeightMatrix, infer_mel, eval_mel, emit_mel)
