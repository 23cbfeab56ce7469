// Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare over a set of axes (keepdims,
// noop_with_empty_axes, negative axes; axes as an input for ReduceSum from opset 13 and for all from
// opset 18), and ArgMax/ArgMin along one axis. Kernels: backends/portable/kernels/reduce.h.
#include <cstring>

#include "backends/common/c_literals.h"
#include "backends/portable/kernels/reduce.h"
#include "ops/elementwise.h"
#include "ops/registry.h"

namespace kiln {
namespace {

constexpr unsigned kReduceTypes = kFloats | kSignedInts | kUnsignedInts;

// What a Reduce* node does, from its attributes, axes and input shape.
struct ReducePlan {
    std::vector<bool> reduced;  // per input dim
    bool noop = false;          // empty axes with noop_with_empty_axes: output = input
    Shape out;
};

bool axes_from_input(NodeCtx& c) { return c.opset() >= 18 || (c.node().op_type == "ReduceSum" && c.opset() >= 13); }

Expected<ReducePlan> reduce_plan(NodeCtx& c) {
    const Shape& in = c.in_shape(0);
    const int64_t rank = int64_t(in.size());
    std::vector<int64_t> axes;
    if (axes_from_input(c)) {
        if (c.has_attr("axes")) return c.fail("attribute axes is not allowed at this opset (axes is an input)");
        if (c.has_input(1)) {
            const Tensor* t = c.const_input(1);
            if (!t) return c.fail("axes input '{}' must be a constant (output shapes are static)", c.input(1).name);
            axes = t->to_int64_vector();
        }
    } else {
        axes = c.attr_ints("axes");
    }
    const bool keepdims = c.attr_int("keepdims", 1) != 0;
    ReducePlan p;
    p.reduced.assign(in.size(), axes.empty());
    if (axes.empty() && c.attr_int("noop_with_empty_axes", 0) != 0) {
        p.reduced.assign(in.size(), false);
        p.noop = true;
    }
    for (int64_t a : axes) {
        int64_t ax = c.normalize_axis(a, rank);
        KILN_TRY(c.status());
        if (p.reduced[std::size_t(ax)]) return c.fail("axis {} is listed twice", a);
        p.reduced[std::size_t(ax)] = true;
    }
    for (std::size_t d = 0; d < in.size(); ++d) {
        if (!p.reduced[d]) p.out.push_back(in[d]);
        else if (keepdims) p.out.push_back(1);
    }
    return p;
}

kernels::ReduceParams make_reduce_params(const Shape& in, const std::vector<bool>& reduced) {
    kernels::ReduceParams p{};
    p.count = 1;
    int64_t stride = 1;
    std::vector<int64_t> strides(in.size());
    for (std::size_t d = in.size(); d-- > 0;) {
        strides[d] = stride;
        stride *= in[d];
    }
    int prev_kind = -1;  // kind of the last dim added: 0 kept, 1 reduced
    for (std::size_t d = 0; d < in.size(); ++d) {
        const int kind = reduced[d] ? 1 : 0;
        if (kind) p.count *= in[d];
        if (in[d] == 1) continue;
        int32_t& r = kind ? p.red_rank : p.kept_rank;
        int64_t* dims = kind ? p.red_dims : p.kept_dims;
        int64_t* st = kind ? p.red_strides : p.kept_strides;
        if (prev_kind == kind) {  // contiguous with the previous dim of the same kind: merge
            dims[r - 1] *= in[d];
            st[r - 1] = strides[d];
        } else {
            dims[r] = in[d];
            st[r] = strides[d];
            ++r;
        }
        prev_kind = kind;
    }
    return p;
}

std::string c_reduce_params(const kernels::ReduceParams& p) {
    auto list = [](const int64_t* v, int32_t n) {
        return c_int_list(std::vector<int64_t>(v, v + std::max<int32_t>(n, 1)));
    };
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}}}", p.kept_rank, list(p.kept_dims, p.kept_rank),
                       list(p.kept_strides, p.kept_rank), p.red_rank, list(p.red_dims, p.red_rank),
                       list(p.red_strides, p.red_rank), p.count);
}

Status infer_reduce(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, axes_from_input(c) ? 2 : 1));
    if (!type_in_set(c.in_dtype(0), kReduceTypes)) return type_error(c, 0);
    Expected<ReducePlan> p = reduce_plan(c);
    if (!p) return p.status();
    const std::string& op = c.node().op_type;
    if (!p->noop && (op == "ReduceMax" || op == "ReduceMin") && shape_numel(p->out) > 0 &&
        make_reduce_params(c.in_shape(0), p->reduced).count == 0)
        return c.fail("reducing an empty set has no {} (input shape {})", op == "ReduceMax" ? "maximum" : "minimum",
                      shape_str(c.in_shape(0)));
    c.set_output(0, c.in_dtype(0), p->out);
    return c.status();
}

template <typename R>
Status eval_reduce(EvalCtx& c) {
    Expected<ReducePlan> plan = reduce_plan(c);
    if (!plan) return plan.status();
    if (plan->noop) {
        std::memcpy(c.out(0).raw(), c.in(0).raw(), c.in(0).nbytes());
        return Status::ok();
    }
    kernels::ReduceParams p = make_reduce_params(c.in(0).shape(), plan->reduced);
    bool ok = dispatch_map<kReduceTypes>(c.in(0).dtype(), [&](auto tag, auto) {
        using T = typename decltype(tag)::type;
        kernels::reduce(c.in(0).data<T>(), c.out(0).data<T>(), p, R());
    });
    return ok ? Status::ok() : type_error(c, 0);
}

template <const char* NAME>
Status emit_reduce(EmitCtx& c) {
    Expected<ReducePlan> plan = reduce_plan(c);
    if (!plan) return plan.status();
    if (plan->noop) {
        c.use_kernel("portable/common.h");  // generated code aliases kiln::kernels even when only copying
        c.call("std::memcpy({}, {}, {});", c.out(0), c.in(0), c.output(0).nbytes());
        return Status::ok();
    }
    c.use_kernel("portable/reduce.h");
    std::string p = c.define_params("k::ReduceParams", c_reduce_params(make_reduce_params(c.in_shape(0), plan->reduced)));
    c.call("k::reduce({}, {}, {}, k::{}{{}});", c.in(0), c.out(0), p, NAME);
    return Status::ok();
}

// ---- ArgMax / ArgMin ----------------------------------------------------------------------------------

kernels::ArgParams make_arg_params(NodeCtx& c) {
    const Shape& in = c.in_shape(0);
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(in.size()));
    kernels::ArgParams p{1, 1, 1, int32_t(c.attr_int("select_last_index", 0) != 0)};
    for (std::size_t d = 0; d < in.size(); ++d) {
        if (int64_t(d) < axis) p.outer *= in[d];
        else if (int64_t(d) == axis) p.axis = in[d];
        else p.inner *= in[d];
    }
    return p;
}

Status infer_arg(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (!type_in_set(c.in_dtype(0), kReduceTypes)) return type_error(c, 0);
    const Shape& in = c.in_shape(0);
    if (in.empty()) return c.fail("input must have rank 1 or more");
    const int64_t axis = c.normalize_axis(c.attr_int("axis", 0), int64_t(in.size()));
    KILN_TRY(c.status());
    const bool select_last = c.attr_int("select_last_index", 0) != 0;
    if (c.opset() < 12 && select_last) return c.fail("attribute select_last_index needs opset 12");
    const bool keepdims = c.attr_int("keepdims", 1) != 0;
    Shape out;
    for (std::size_t d = 0; d < in.size(); ++d) {
        if (int64_t(d) != axis) out.push_back(in[d]);
        else if (keepdims) out.push_back(1);
    }
    if (in[std::size_t(axis)] == 0 && shape_numel(out) > 0) return c.fail("axis {} has size 0: no index to return", axis);
    c.set_output(0, DType::Int64, out);
    return c.status();
}

template <typename C>
Status eval_arg(EvalCtx& c) {
    kernels::ArgParams p = make_arg_params(c);
    bool ok = dispatch_map<kReduceTypes>(c.in(0).dtype(), [&](auto tag, auto) {
        using T = typename decltype(tag)::type;
        kernels::arg_reduce(c.in(0).data<T>(), c.out(0).data<int64_t>(), p, C());
    });
    return ok ? Status::ok() : type_error(c, 0);
}

template <const char* NAME>
Status emit_arg(EmitCtx& c) {
    c.use_kernel("portable/reduce.h");
    kernels::ArgParams a = make_arg_params(c);
    std::string p = c.define_params("k::ArgParams", fmt::format("{{{}, {}, {}, {}}}", a.outer, a.axis, a.inner,
                                                               a.select_last_index));
    c.call("k::arg_reduce({}, {}, {}, k::{}{{}});", c.in(0), c.out(0), p, NAME);
    return Status::ok();
}

constexpr char kArgMaxCmp[] = "ArgMaxCmp";
constexpr char kArgMinCmp[] = "ArgMinCmp";

}  // namespace
}  // namespace kiln

// kernels::OP is the reduction functor of the same name.
#define KILN_REDUCE_OP(OP)                                              \
    namespace kiln { namespace { constexpr char kName##OP[] = #OP; } }   \
    KILN_DEFINE_OP(OP, infer_reduce, eval_reduce<kernels::OP>, emit_reduce<kName##OP>)

KILN_REDUCE_OP(ReduceL1)
KILN_REDUCE_OP(ReduceL2)
KILN_REDUCE_OP(ReduceLogSum)
KILN_REDUCE_OP(ReduceLogSumExp)
KILN_REDUCE_OP(ReduceMax)
KILN_REDUCE_OP(ReduceMean)
KILN_REDUCE_OP(ReduceMin)
KILN_REDUCE_OP(ReduceProd)
KILN_REDUCE_OP(ReduceSum)
KILN_REDUCE_OP(ReduceSumSquare)
#undef KILN_REDUCE_OP

KILN_DEFINE_OP(ArgMax, infer_arg, eval_arg<kernels::ArgMaxCmp>, emit_arg<kArgMaxCmp>)
KILN_DEFINE_OP(ArgMin, infer_arg, eval_arg<kernels::ArgMinCmp>, emit_arg<kArgMinCmp>)
