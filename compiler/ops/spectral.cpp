// Spectral ops: DFT (opset 17: axis, inverse, onesided, dft_length as a constant input; real or complex
// input) and STFT (frame_step and frame_length constant; optional window; onesided). Both run the line
// transform of backends/portable/kernels/spectral.h with a twiddle table computed here, once, and written
// into generated code as a constant array. The window functions and MelWeightMatrix are in
// spectral_windows.cpp.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/spectral.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

// Transform of length n keeping n or n/2 + 1 bins; the FFT where n is a power of two, except a onesided
// transform of a complex input (its n/2 + 1 bins have no room for an in-place FFT): that one runs direct.
kernels::DftShape make_dft_shape(int64_t n, bool onesided, bool in_complex, bool inverse) {
    kernels::DftShape s{n, onesided ? n / 2 + 1 : n, int32_t(in_complex), int32_t(inverse), 0};
    const bool pow2 = n >= 2 && (n & (n - 1)) == 0;
    s.fft = int32_t(pow2 && (s.out_len == n || !in_complex));
    return s;
}

// The twiddle table of a transform, in the element type of its input.
Tensor make_twiddles(const kernels::DftShape& s, DType t) {
    const int64_t count = kernels::dft_twiddle_count(s);
    Tensor tw(t, {2 * count});
    dispatch_float(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::dft_twiddles(tw.data<T>(), s.n, count);
    });
    return tw;
}

std::string c_dft_shape(const kernels::DftShape& s) {
    return fmt::format("{{{}, {}, {}, {}, {}}}", s.n, s.out_len, s.in_complex, s.inverse, s.fft);
}

// A positive integer from constant scalar input i (frame_step, frame_length, dft_length).
Status static_length(NodeCtx& c, std::size_t i, const char* what, int64_t* out) {
    if (!dtype_is_integer(c.in_dtype(i)))
        return c.fail("input {} ({}) has type {}, expected int32 or int64", i, what, dtype_name(c.in_dtype(i)));
    double v = 0;
    KILN_TRY(static_scalar(c, i, what, &v));
    if (v < 1) return c.fail("{} is {}, must be at least 1", what, v);
    *out = int64_t(v);
    return Status::ok();
}

// Input of the shape [..., 1 or 2]: real samples or (re, im) pairs.
Status check_complex_dim(NodeCtx& c, const Shape& s) {
    if (s.empty() || (s.back() != 1 && s.back() != 2))
        return c.fail("input shape {} should end in 1 (real) or 2 (real, imaginary)", shape_str(s));
    return Status::ok();
}

// ---- DFT -----------------------------------------------------------------------------------------

struct DftPlan {
    kernels::DftParams params;
    int64_t axis;
};

Expected<DftPlan> dft_plan(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    const int64_t rank = int64_t(s.size());
    KILN_TRY(check_complex_dim(c, s));
    if (rank < 2) return c.fail("input shape {} has no signal dim", shape_str(s));
    int64_t axis = c.attr_int("axis", 1);
    const bool inverse = c.attr_int("inverse", 0) != 0;
    const bool onesided = c.attr_int("onesided", 0) != 0;
    KILN_TRY(c.status());
    if (axis < 0) axis += rank;  // as the ONNX reference: axis modulo the rank
    if (axis < 0 || axis > rank - 2)
        return c.fail("axis {} is out of range for input shape {} (the last dim holds real/imaginary parts)",
                      c.attr_int("axis", 1), shape_str(s));
    int64_t n = s[std::size_t(axis)];
    if (c.has_input(1)) KILN_TRY(static_length(c, 1, "dft_length", &n));
    if (n < 1) return c.fail("axis {} of input shape {} is empty: no transform length", axis, shape_str(s));
    DftPlan plan{{1, s[std::size_t(axis)], 1, make_dft_shape(n, onesided, s.back() == 2, inverse)}, axis};
    for (int64_t d = 0; d < axis; ++d) plan.params.outer *= s[std::size_t(d)];
    for (int64_t d = axis + 1; d < rank - 1; ++d) plan.params.inner *= s[std::size_t(d)];
    return plan;
}

Status infer_dft(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 2));
    KILN_TRY(c.require_float_input(0));
    Expected<DftPlan> plan = dft_plan(c);
    if (!plan) return plan.status();
    Shape out = c.in_shape(0);
    out[std::size_t(plan->axis)] = plan->params.shape.out_len;
    out.back() = 2;
    c.set_output(0, c.in_dtype(0), out);
    return c.status();
}

Status eval_dft(EvalCtx& c) {
    Expected<DftPlan> plan = dft_plan(c);
    if (!plan) return plan.status();
    const Tensor tw = make_twiddles(plan->params.shape, c.in(0).dtype());
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::dft(c.in(0).data<T>(), tw.data<T>(), c.out(0).data<T>(), plan->params);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_dft(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<DftPlan> plan = dft_plan(c);
    if (!plan) return plan.status();
    const kernels::DftParams& d = plan->params;
    c.use_kernel("portable/spectral.h");
    std::string p = c.define_params(
        "k::DftParams", fmt::format("{{{}, {}, {}, {}}}", d.outer, d.in_len, d.inner, c_dft_shape(d.shape)));
    std::string tw = c.define_array(make_twiddles(d.shape, c.in_dtype(0)), "tw");
    c.call("k::dft({}, {}, {}, {});", c.in(0), tw, c.out(0), p);
    return Status::ok();
}

// ---- STFT ----------------------------------------------------------------------------------------

Expected<kernels::StftParams> stft_params(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    KILN_TRY(check_complex_dim(c, s));
    if (s.size() != 3) return c.fail("signal shape {} should be [batch, length, 1 or 2]", shape_str(s));
    const bool onesided = c.attr_int("onesided", 1) != 0;
    KILN_TRY(c.status());
    int64_t step = 0;
    KILN_TRY(static_length(c, 1, "frame_step", &step));
    int64_t n = 0;
    if (c.has_input(2)) {
        if (c.in_dtype(2) != c.in_dtype(0))
            return c.fail("window has type {}, the signal {}", dtype_name(c.in_dtype(2)), dtype_name(c.in_dtype(0)));
        if (c.in_shape(2).size() != 1) return c.fail("window shape {} should have rank 1", shape_str(c.in_shape(2)));
        n = c.in_shape(2)[0];
        if (n < 1) return c.fail("the window is empty");
    }
    if (c.has_input(3)) {
        int64_t frame_length = 0;
        KILN_TRY(static_length(c, 3, "frame_length", &frame_length));
        if (n != 0 && n != frame_length)
            return c.fail("window length {} differs from frame_length {}", n, frame_length);
        n = frame_length;
    }
    if (n == 0) return c.fail("neither a window nor frame_length gives the frame size");
    if (s[1] < n) return c.fail("signal length {} is shorter than one frame ({})", s[1], n);
    return kernels::StftParams{s[0], s[1], (s[1] - n) / step + 1, step, make_dft_shape(n, onesided, s[2] == 2, false)};
}

Status infer_stft(InferCtx& c) {
    KILN_TRY(c.require_inputs(2, 4));
    KILN_TRY(c.require_float_input(0));
    Expected<kernels::StftParams> p = stft_params(c);
    if (!p) return p.status();
    c.set_output(0, c.in_dtype(0), {p->batch, p->frames, p->shape.out_len, 2});
    return c.status();
}

Status eval_stft(EvalCtx& c) {
    Expected<kernels::StftParams> p = stft_params(c);
    if (!p) return p.status();
    const Tensor tw = make_twiddles(p->shape, c.in(0).dtype());
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* window = c.has_in(2) ? c.in(2).data<T>() : nullptr;
        kernels::stft(c.in(0).data<T>(), window, tw.data<T>(), c.out(0).data<T>(), *p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_stft(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<kernels::StftParams> p = stft_params(c);
    if (!p) return p.status();
    c.use_kernel("portable/spectral.h");
    std::string params = c.define_params("k::StftParams", fmt::format("{{{}, {}, {}, {}, {}}}", p->batch, p->signal_len,
                                                                     p->frames, p->step, c_dft_shape(p->shape)));
    std::string tw = c.define_array(make_twiddles(p->shape, c.in_dtype(0)), "tw");
    std::string window = c.has_input(2) ? c.in(2) : fmt::format("static_cast<const {}*>(nullptr)", c.in_ctype(0));
    c.call("k::stft({}, {}, {}, {}, {});", c.in(0), window, tw, c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(DFT, infer_dft, eval_dft, emit_dft)
KILN_DEFINE_OP(STFT, infer_stft, eval_stft, emit_stft)
