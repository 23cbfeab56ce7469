// Pad: constant, reflect and edge modes; pads as an attribute before opset 11 and a constant input
// from opset 11, where the constant value may be a run-time scalar. Kernel: backends/portable/kernels/pad.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/pad.h"
#include "ops/dispatch.h"
#include "ops/registry.h"
#include "ops/static_inputs.h"

namespace kiln {
namespace {

Status pad_params(NodeCtx& c, kernels::PadParams* p) {
    const Shape& in = c.in_shape(0);
    const std::size_t rank = in.size();
    std::vector<int64_t> pads;
    if (c.opset() < 11) {
        if (!c.has_attr("pads")) return c.fail("attribute 'pads' is required");
        pads = c.attr_ints("pads");
    } else {
        KILN_TRY(static_ints(c, 1, "pads", &pads));
    }
    if (pads.size() != 2 * rank) return c.fail("pads has {} entries for a rank-{} input, expected {}", pads.size(), rank, 2 * rank);
    if (rank > std::size_t(kernels::kMaxRank)) return c.fail("rank {} is above the supported {}", rank, kernels::kMaxRank);
    const std::string mode = c.attr_string("mode", "constant");
    *p = kernels::PadParams{};
    if (mode == "constant") p->mode = kernels::kPadConstant;
    else if (mode == "reflect") p->mode = kernels::kPadReflect;
    else if (mode == "edge") p->mode = kernels::kPadEdge;
    else return c.fail("attribute mode='{}' is not supported (constant, reflect, edge)", mode);
    p->rank = int32_t(rank);
    for (std::size_t d = 0; d < rank; ++d) {
        p->in_dims[d] = in[d];
        p->begin[d] = pads[d];
        p->out_dims[d] = in[d] + pads[d] + pads[rank + d];
        if (p->out_dims[d] < 0) return c.fail("pads [{}] remove more than dim {} holds", fmt::join(pads, ","), d);
        if (in[d] == 0 && p->out_dims[d] > 0 && p->mode != kernels::kPadConstant)
            return c.fail("mode '{}' cannot pad the empty dim {}", mode, d);
    }
    return c.status();
}

// Before opset 11 the constant is the float attribute 'value'; as a one-element tensor of the data type.
Tensor attr_value(NodeCtx& c) {
    Tensor t(c.in_dtype(0), {});
    t.set_from_double(0, double(c.attr_float("value", 0.0f)));
    return t;
}

Status infer_pad(InferCtx& c) {
    KILN_TRY(c.require_inputs(c.opset() < 11 ? 1 : 2, c.opset() < 11 ? 1 : 3));
    kernels::PadParams p;
    KILN_TRY(pad_params(c, &p));
    if (c.opset() < 11) attr_value(c);  // the constant, read by eval and emit
    if (c.opset() >= 11 && c.has_input(2)) {
        if (c.in_dtype(2) != c.in_dtype(0))
            return c.fail("constant_value has type {}, data has {}", dtype_name(c.in_dtype(2)), dtype_name(c.in_dtype(0)));
        if (c.input(2).numel() != 1) return c.fail("constant_value should be a scalar, has shape {}", shape_str(c.in_shape(2)));
    }
    c.set_output(0, c.in_dtype(0), Shape(p.out_dims, p.out_dims + p.rank));
    return c.status();
}

Status eval_pad(EvalCtx& c) {
    kernels::PadParams p;
    KILN_TRY(pad_params(c, &p));
    Tensor value = c.opset() < 11 ? attr_value(c) : Tensor();
    const Tensor* v = c.opset() < 11 ? &value : (c.has_in(2) ? &c.in(2) : nullptr);
    bool ok = dispatch_any(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        kernels::pad(c.in(0).data<T>(), c.out(0).data<T>(), p, v ? v->data<T>() : static_cast<const T*>(nullptr));
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_pad(EmitCtx& c) {
    kernels::PadParams p;
    KILN_TRY(pad_params(c, &p));
    if (c.output(0).numel() == 0) return Status::ok();
    const std::string ctype = c.in_ctype(0);
    std::string value = fmt::format("static_cast<const {}*>(nullptr)", ctype);
    if (c.opset() < 11)
        value = "&" + c.define_params(ctype, c_element(attr_value(c), 0), "value");
    else if (c.has_input(2))
        value = c.in(2);
    auto list = [&](const int64_t* v) {
        std::vector<int64_t> x(v, v + std::max<int32_t>(p.rank, 1));
        return fmt::format("{{{}}}", fmt::join(x, ", "));
    };
    c.use_kernel("portable/pad.h");
    std::string name = c.define_params("k::PadParams", fmt::format("{{{}, {}, {}, {}, {}}}", p.rank, p.mode,
                                                                    list(p.in_dims), list(p.out_dims), list(p.begin)));
    c.call("k::pad({}, {}, {}, {});", c.in(0), c.out(0), name, value);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(Pad, infer_pad, eval_pad, emit_pad)
