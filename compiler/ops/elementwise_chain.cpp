// ElementwiseChain (Kiln-internal, domain "kiln"; made by fuse-elementwise): y = a chain of elementwise
// steps applied to input 0 in one pass. Attributes, one entry per step: `ops` (the ONNX op type of the
// step), `operand` (-1 for a unary step, else the input a binary step combines with), `swap` (1 when that
// input is the left argument), `params` (two floats per step: alpha/beta, Clip's bounds, 0 when unused).
// Input 0 has the output's shape; other inputs are scalars, the output's shape, or one contiguous run of
// the output's dims (a per-channel [C,1,1] against [N,C,H,W]). Kernel: portable/elementwise_chain.h.
#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/elementwise_chain.h"
#include "ops/chain_plan.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

namespace k = kernels;

struct ChainOpName {
    const char* name;
    k::ChainOp op;
    bool binary;
};

// The step types, by ONNX op type, with the kernel's enumerator (written by name in generated code).
#define KILN_CHAIN_OP(NAME, BINARY) {#NAME, k::kChain##NAME, BINARY}
const ChainOpName kChainOps[] = {
    KILN_CHAIN_OP(Neg, false), KILN_CHAIN_OP(Abs, false), KILN_CHAIN_OP(Exp, false),
    KILN_CHAIN_OP(Log, false), KILN_CHAIN_OP(Sqrt, false), KILN_CHAIN_OP(Reciprocal, false),
    KILN_CHAIN_OP(Floor, false), KILN_CHAIN_OP(Ceil, false), KILN_CHAIN_OP(Round, false),
    KILN_CHAIN_OP(Sign, false), KILN_CHAIN_OP(Erf, false), KILN_CHAIN_OP(Sin, false),
    KILN_CHAIN_OP(Cos, false), KILN_CHAIN_OP(Tan, false), KILN_CHAIN_OP(Atan, false),
    KILN_CHAIN_OP(Sinh, false), KILN_CHAIN_OP(Cosh, false), KILN_CHAIN_OP(Tanh, false),
    KILN_CHAIN_OP(Sigmoid, false), KILN_CHAIN_OP(Relu, false), KILN_CHAIN_OP(LeakyRelu, false),
    KILN_CHAIN_OP(Clip, false), KILN_CHAIN_OP(HardSigmoid, false), KILN_CHAIN_OP(HardSwish, false),
    KILN_CHAIN_OP(Elu, false), KILN_CHAIN_OP(Selu, false), KILN_CHAIN_OP(Celu, false),
    KILN_CHAIN_OP(Softplus, false), KILN_CHAIN_OP(Softsign, false), KILN_CHAIN_OP(ThresholdedRelu, false),
    KILN_CHAIN_OP(Add, true), KILN_CHAIN_OP(Sub, true), KILN_CHAIN_OP(Mul, true),
    KILN_CHAIN_OP(Div, true), KILN_CHAIN_OP(Pow, true), KILN_CHAIN_OP(Max, true),
    KILN_CHAIN_OP(Min, true), KILN_CHAIN_OP(PRelu, true),
};
#undef KILN_CHAIN_OP

const ChainOpName* find_chain_op(const std::string& name) {
    for (const ChainOpName& o : kChainOps)
        if (name == o.name) return &o;
    return nullptr;
}

const char* chain_op_name(int32_t op) {
    for (const ChainOpName& o : kChainOps)
        if (o.op == op) return o.name;
    return nullptr;
}

// How input `in` broadcasts against `out` as (inner, count); false when its non-1 dims (right-aligned) are
// not one contiguous run of dims equal to the output's.
bool operand_layout(const Shape& in, const Shape& out, int64_t* inner, int64_t* count) {
    if (in.size() > out.size()) return false;
    const std::size_t off = out.size() - in.size();
    int first = -1, last = -1;
    for (std::size_t d = 0; d < in.size(); ++d)
        if (in[d] != 1) {
            if (first < 0) first = int(d + off);
            last = int(d + off);
        }
    *inner = 1;
    *count = 1;
    if (first < 0) return true;  // a scalar (or all-1 shape)
    for (int d = first; d <= last; ++d) {
        if (in[std::size_t(d) - off] != out[std::size_t(d)]) return false;
        *count *= out[std::size_t(d)];
    }
    for (std::size_t d = std::size_t(last) + 1; d < out.size(); ++d) *inner *= out[d];
    return true;
}

}  // namespace

// Reads and validates every attribute and input; the kernel parameters for eval and emit alike.
Status make_chain_params(NodeCtx& c, k::ChainParams* p) {
    if (c.num_inputs() < 1 || c.num_inputs() > std::size_t(k::kChainMaxInputs))
        return c.fail("has {} inputs, expected 1 to {}", c.num_inputs(), k::kChainMaxInputs);
    const DType t = c.in_dtype(0);
    if (t != DType::Float32 && t != DType::Float64) return c.fail("type {} is not supported (f32, f64)", dtype_name(t));
    const std::vector<std::string> names = c.attr_strings("ops");
    const std::vector<int64_t> operand = c.attr_ints("operand");
    const std::vector<int64_t> swap = c.attr_ints("swap");
    const std::vector<float> params = c.attr_floats("params");
    KILN_TRY(c.status());
    const std::size_t n = names.size();
    if (n == 0 || n > std::size_t(k::kChainMaxSteps))
        return c.fail("attribute ops has {} steps, expected 1 to {}", n, k::kChainMaxSteps);
    if (operand.size() != n || swap.size() != n || params.size() != 2 * n)
        return c.fail("{} steps need {} operand, {} swap and {} params entries (got {}, {}, {})", n, n, n, 2 * n,
                      operand.size(), swap.size(), params.size());
    *p = k::ChainParams{};
    p->n = c.input(0).numel();
    p->num_steps = int32_t(n);
    std::vector<bool> used(c.num_inputs(), false);
    used[0] = true;
    for (std::size_t s = 0; s < n; ++s) {
        const ChainOpName* o = find_chain_op(names[s]);
        if (!o) return c.fail("step {}: operation '{}' is not supported", s, names[s]);
        if (o->binary && (operand[s] < 0 || operand[s] >= int64_t(c.num_inputs())))
            return c.fail("step {} ({}): operand {} is not an input", s, names[s], operand[s]);
        if (!o->binary && operand[s] != -1) return c.fail("step {} ({}) is unary: operand must be -1", s, names[s]);
        if (swap[s] != 0 && swap[s] != 1) return c.fail("step {}: swap must be 0 or 1", s);
        if (swap[s] != 0 && (!o->binary || o->op == k::kChainPRelu))
            return c.fail("step {} ({}): swap is only valid for Add, Sub, Mul, Div, Pow, Max, Min", s, names[s]);
        if (o->binary) used[std::size_t(operand[s])] = true;
        p->steps[s] = {o->op, int32_t(operand[s]), int32_t(swap[s]), params[2 * s], params[2 * s + 1]};
    }
    const Shape& out = c.in_shape(0);
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) return c.fail("input {} is missing", i);
        if (c.in_dtype(i) != t)
            return c.fail("input {} has type {}, expected {}", i, dtype_name(c.in_dtype(i)), dtype_name(t));
        if (!used[i]) return c.fail("input {} is not read by any step", i);
        if (!operand_layout(c.in_shape(i), out, &p->inner[i], &p->count[i]))
            return c.fail("input {} of shape {} is not a scalar, per-channel or same-shape operand of {}", i,
                          shape_str(c.in_shape(i)), shape_str(out));
    }
    return c.status();
}

bool binary_as_chain(NodeCtx& c, int32_t op, k::ChainParams* p, std::size_t* running) {
    if (c.num_inputs() != 2 || !c.has_input(0) || !c.has_input(1) || c.in_dtype(0) != c.in_dtype(1)) return false;
    const Shape& out = c.out_shape(0);
    const std::size_t r = c.in_shape(0) == out ? 0 : c.in_shape(1) == out ? 1 : 2;
    if (r == 2) return false;
    *p = k::ChainParams{};
    p->n = c.output(0).numel();
    p->num_steps = 1;
    p->steps[0] = {op, 1, int32_t(r), 0.0f, 0.0f};
    p->inner[0] = p->count[0] = 1;
    if (!operand_layout(c.in_shape(1 - r), out, &p->inner[1], &p->count[1])) return false;
    *running = r;
    return true;
}

std::string c_chain_params(const k::ChainParams& p) {
    std::vector<std::string> steps, inner, count;
    for (int32_t s = 0; s < p.num_steps; ++s) {
        const k::ChainStep& st = p.steps[s];
        steps.push_back(fmt::format("{{k::kChain{}, {}, {}, {}, {}}}", chain_op_name(st.op), st.operand, st.swap,
                                    c_float(st.a), c_float(st.b)));
    }
    for (int i = 0; i < k::kChainMaxInputs; ++i) {
        inner.push_back(c_int(p.inner[i]));
        count.push_back(c_int(p.count[i]));
    }
    return fmt::format("{{{}, {}, {{{}}}, {{{}}}, {{{}}}}}", c_int(p.n), p.num_steps, fmt::join(inner, ", "),
                       fmt::join(count, ", "), fmt::join(steps, ", "));
}

namespace {

Status infer_chain(InferCtx& c) {
    k::ChainParams p;
    KILN_TRY(make_chain_params(c, &p));
    c.set_output(0, c.in_dtype(0), c.in_shape(0));
    return c.status();
}

Status eval_chain(EvalCtx& c) {
    k::ChainParams p;
    KILN_TRY(make_chain_params(c, &p));
    bool ok = dispatch_float(c.in(0).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        k::ChainInputs<T> ins{};
        for (std::size_t i = 0; i < c.num_inputs(); ++i) ins.p[i] = c.in(i).data<T>();
        k::elementwise_chain(ins, c.out(0).data<T>(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(0).dtype()));
}

Status emit_chain(EmitCtx& c) {
    k::ChainParams p;
    KILN_TRY(make_chain_params(c, &p));
    c.use_kernel("portable/elementwise_chain.h");
    std::vector<std::string> ins;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) ins.push_back(c.in(i));
    const std::string params = c.define_params("k::ChainParams", c_chain_params(p));
    c.call("k::elementwise_chain(k::ChainInputs<{}>{{{{{}}}}}, {}, {});", c.in_ctype(0), fmt::join(ins, ", "),
           c.out(0), params);
    return Status::ok();
}

// Elementwise work is not multiply-accumulate: like the unfused ops it replaces, the chain counts none.
int64_t chain_macs(NodeCtx&) { return 0; }

}  // namespace
}  // namespace kiln

// In place over input 0 (the kernel loads each block of it before storing the same block of the output).
KILN_DEFINE_OP_FULL(ElementwiseChain, infer_chain, eval_chain, emit_chain, chain_macs, nullptr, inplace_unary)
