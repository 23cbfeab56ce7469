// Einsum (opset 12): any equation numpy.einsum accepts, on up to kEinsumMaxInputs inputs of one numeric
// type. The equation is parsed and the loop nest planned here (ops/einsum_plan.h); the kernel
// (backends/portable/kernels/einsum.h) only runs the planned loops.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/einsum.h"
#include "ops/einsum_plan.h"
#include "ops/elementwise.h"
#include "ops/float_io.h"
#include "ops/registry.h"

namespace kiln {
namespace {

bool is_half(DType t) { return t == DType::Float16 || t == DType::BFloat16; }

Status make_einsum_params(NodeCtx& c, kernels::EinsumParams* p, Shape* out_shape) {
    if (!c.has_attr("equation")) return c.fail("attribute 'equation' is required");
    const std::string equation = c.attr_string("equation", "");
    KILN_TRY(c.status());
    std::vector<Shape> shapes;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) shapes.push_back(c.in_shape(i));
    // 16-bit floats sum every output element in float and store it once (no matmul-like order).
    Expected<EinsumPlan> plan = plan_einsum(equation, shapes, !is_half(c.in_dtype(0)));
    if (!plan) return c.fail("{}", plan.status().message());
    const std::size_t loops = plan->sizes.size();
    if (loops > std::size_t(kernels::kEinsumMaxLoops))
        return c.fail("equation '{}' needs {} loops; at most {} are supported", printable(equation), loops,
                      kernels::kEinsumMaxLoops);
    *p = kernels::EinsumParams{};
    p->inputs = int32_t(shapes.size());
    p->loops = int32_t(loops);
    p->split = int32_t(plan->split);
    p->out_count = shape_numel(plan->out_shape);
    for (std::size_t d = 0; d < loops; ++d) {
        p->sizes[d] = plan->sizes[d];
        p->out_strides[d] = plan->out_strides[d];
        for (std::size_t k = 0; k < shapes.size(); ++k) p->in_strides[k][d] = plan->in_strides[k][d];
    }
    *out_shape = plan->out_shape;
    return Status::ok();
}

Status infer_einsum(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1000));
    for (std::size_t i = 0; i < c.num_inputs(); ++i)
        if (!c.has_input(i)) return c.fail("input {} is missing (every Einsum input is an operand)", i);
    if (c.num_inputs() > std::size_t(kernels::kEinsumMaxInputs))
        return c.fail("has {} inputs; at most {} are supported", c.num_inputs(), kernels::kEinsumMaxInputs);
    const DType t = c.in_dtype(0);
    if (!type_in_set(t, kNumeric)) return type_error(c, 0);
    for (std::size_t i = 1; i < c.num_inputs(); ++i)
        if (c.in_dtype(i) != t)
            return c.fail("input {} has type {}; expected {} like input 0", i, dtype_name(c.in_dtype(i)),
                          dtype_name(t));
    kernels::EinsumParams p;
    Shape out;
    KILN_TRY(make_einsum_params(c, &p, &out));
    c.set_output(0, t, out);
    return c.status();
}

Status eval_einsum(EvalCtx& c) {
    kernels::EinsumParams p;
    Shape out;
    KILN_TRY(make_einsum_params(c, &p, &out));
    const bool ok = dispatch_map<kNumeric>(c.in(0).dtype(), [&](auto tag, auto adapter) {
        using T = typename decltype(tag)::type;
        using Io = typename IoFor<decltype(adapter), T>::type;
        const T* in[kernels::kEinsumMaxInputs] = {nullptr, nullptr, nullptr, nullptr};
        for (std::size_t i = 0; i < c.num_inputs(); ++i) in[i] = c.in(i).data<T>();
        kernels::einsum_inputs<Io>(in, c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : type_error(c, 0);
}

std::string c_einsum_params(const kernels::EinsumParams& p) {
    auto list = [&](const int64_t* v) { return c_int_list(std::vector<int64_t>(v, v + std::max(p.loops, 1))); };
    std::vector<std::string> strides;
    for (int32_t k = 0; k < p.inputs; ++k) strides.push_back(list(p.in_strides[k]));
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {{{}}}}}", p.inputs, p.loops, p.split, p.out_count, list(p.sizes),
                       list(p.out_strides), fmt::join(strides, ", "));
}

Status emit_einsum(EmitCtx& c) {
    kernels::EinsumParams p;
    Shape out;
    KILN_TRY(make_einsum_params(c, &p, &out));
    if (p.out_count == 0) return Status::ok();
    c.use_kernel("portable/einsum.h");
    const std::string params = c.define_params("k::EinsumParams", c_einsum_params(p));
    std::vector<std::string> args;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) args.push_back(c.in(i));
    c.call("k::einsum<{}>({}, {}, {});", io_expr(c.in_dtype(0)), fmt::join(args, ", "), c.out(0), params);
    return Status::ok();
}

// Multiply-accumulates: one per position of the whole loop nest.
int64_t einsum_macs(NodeCtx& c) {
    kernels::EinsumParams p;
    Shape out;
    if (!make_einsum_params(c, &p, &out)) return 0;
    int64_t n = 1;
    for (int32_t d = 0; d < p.loops; ++d) n *= p.sizes[d];
    return n;
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_MACS(Einsum, infer_einsum, eval_einsum, emit_einsum, einsum_macs)
