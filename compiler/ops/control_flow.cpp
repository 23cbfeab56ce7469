// If, Loop and Scan, expanded at compile time (see ops/expand_context.h): If inlines the branch its constant
// condition picks; Loop and Scan are unrolled, one inlined copy of the body per iteration, so their trip
// counts and loop conditions must be known when compiling. Scan outputs are stacked with Reshape + Concat.
#include "ops/expand_context.h"
#include "ops/registry.h"

namespace kiln {
namespace {

// Unrolling copies the body this many times at most: beyond it the generated code would be too large.
constexpr int64_t kMaxIterations = 4096;

Tensor scalar_i64(int64_t v) {
    Tensor t(DType::Int64, {});
    t.data<int64_t>()[0] = v;
    return t;
}

Tensor scalar_bool(bool v) {
    Tensor t(DType::Bool, {});
    t.data<uint8_t>()[0] = v;
    return t;
}

// Whether the boolean value `id` is known true/false at compile time.
Status constant_condition(ExpandCtx& c, ValueId id, const char* what, bool* out) {
    const Value& v = c.graph().value(id);
    if (!v.data || v.numel() != 1)
        return c.fail("{} '{}' must be known at compile time (Kiln unrolls control flow); freeze the inputs it "
                      "depends on",
                      what, v.name);
    *out = v.data->as_double(0) != 0.0;
    return Status::ok();
}

// Stacks `parts` (same shape) along a new axis: Reshape each to insert a 1, then Concat into `out`.
// (`name` is a copy: adding values may move the graph's value table.)
Status stack(ExpandCtx& c, const std::vector<ValueId>& parts, int64_t axis, ValueId out, std::string name) {
    if (parts.empty()) return c.fail("scan output '{}' would have no elements: the loop runs no iteration", name);
    Shape s = c.graph().value(parts[0]).shape;
    axis = c.normalize_axis(axis, int64_t(s.size()) + 1);
    KILN_TRY(c.status());
    s.insert(s.begin() + axis, 1);
    Tensor shape(DType::Int64, {int64_t(s.size())});
    for (std::size_t i = 0; i < s.size(); ++i) shape.data<int64_t>()[i] = s[i];
    ValueId shape_id = c.add_constant(shape, name + "/shape");
    std::vector<ValueId> reshaped;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        ValueId r = c.new_value(fmt::format("{}/{}", name, i));
        KILN_TRY(c.add_node("Reshape", {parts[i], shape_id}, {r}));
        reshaped.push_back(r);
    }
    return c.add_node("Concat", reshaped, {out}, {{"axis", int_attribute(axis)}});
}

// ---- If ---------------------------------------------------------------------------------------------

Status expand_if(ExpandCtx& c) {
    Expected<const Graph*> then_g = c.subgraph("then_branch");
    Expected<const Graph*> else_g = c.subgraph("else_branch");
    if (!then_g || !else_g) return c.status();
    bool cond = false;
    KILN_TRY(constant_condition(c, c.node().inputs[0], "condition", &cond));
    const Graph* body = cond ? *then_g : *else_g;
    if (body->outputs.size() != c.num_outputs())
        return c.fail("branch has {} outputs but the node {}", body->outputs.size(), c.num_outputs());
    Expected<std::vector<ValueId>> outs = c.inline_graph(*body, {}, c.node().name + (cond ? "/then" : "/else"));
    if (!outs) return outs.status();
    for (std::size_t i = 0; i < outs->size(); ++i)
        if (c.has_output(i)) c.bind_output(i, (*outs)[i]);
    return Status::ok();
}

// ---- Loop -------------------------------------------------------------------------------------------

Status expand_loop(ExpandCtx& c) {
    Expected<const Graph*> body_g = c.subgraph("body");
    if (!body_g) return c.status();
    const Graph& body = **body_g;
    const std::size_t n_carried = c.num_inputs() >= 2 ? c.num_inputs() - 2 : 0;
    if (body.inputs.size() != n_carried + 2 || body.outputs.size() < n_carried + 1)
        return c.fail("body has {} inputs and {} outputs, expected {} inputs and at least {} outputs",
                      body.inputs.size(), body.outputs.size(), n_carried + 2, n_carried + 1);
    const std::size_t n_scan = body.outputs.size() - 1 - n_carried;
    int64_t trip_count = kMaxIterations + 1;
    if (c.has_input(0)) {
        const Tensor* m = c.const_input(0);
        if (!m || m->numel() != 1) return c.fail("trip count M must be known at compile time (Kiln unrolls loops)");
        trip_count = m->as_int64(0);
    }
    bool cond = true;
    if (c.has_input(1)) KILN_TRY(constant_condition(c, c.node().inputs[1], "loop condition", &cond));
    std::vector<ValueId> carried(c.node().inputs.begin() + 2, c.node().inputs.end());
    std::vector<std::vector<ValueId>> scans(n_scan);
    int64_t i = 0;
    for (; i < trip_count && cond; ++i) {
        if (i >= kMaxIterations)
            return c.fail("the loop runs more than {} iterations: too many to unroll", kMaxIterations);
        std::vector<ValueId> args = {c.add_constant(scalar_i64(i), c.node().name + "/iter"),
                                     c.add_constant(scalar_bool(true), c.node().name + "/cond")};
        args.insert(args.end(), carried.begin(), carried.end());
        Expected<std::vector<ValueId>> outs = c.inline_graph(body, args, fmt::format("{}/{}", c.node().name, i));
        if (!outs) return outs.status();
        KILN_TRY(constant_condition(c, (*outs)[0], "loop condition", &cond));
        carried.assign(outs->begin() + 1, outs->begin() + 1 + long(n_carried));
        for (std::size_t k = 0; k < n_scan; ++k) scans[k].push_back((*outs)[1 + n_carried + k]);
    }
    for (std::size_t k = 0; k < n_carried; ++k)
        if (c.has_output(k)) c.bind_output(k, carried[k]);
    for (std::size_t k = 0; k < n_scan; ++k)
        if (c.has_output(n_carried + k))
            KILN_TRY(stack(c, scans[k], 0, c.node().outputs[n_carried + k], c.output(n_carried + k).name));
    return Status::ok();
}

// ---- Scan -------------------------------------------------------------------------------------------

struct ScanPlan {
    std::size_t n_state, n_in, n_out;
    std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;
};

// Runs the body over axis in_axes[j] of every scan input; returns final states and per-step scan outputs.
Status unroll_scan(ExpandCtx& c, const Graph& body, const ScanPlan& p, std::vector<ValueId> state,
                   const std::vector<ValueId>& inputs, const std::string& tag, std::vector<ValueId>* final_state,
                   std::vector<std::vector<ValueId>>* scans) {
    int64_t steps = -1;
    for (std::size_t j = 0; j < p.n_in; ++j) {
        const Shape& s = c.graph().value(inputs[j]).shape;
        int64_t axis = c.normalize_axis(p.in_axes[j], int64_t(s.size()));
        KILN_TRY(c.status());
        if (steps >= 0 && s[std::size_t(axis)] != steps)
            return c.fail("scan inputs have different lengths {} and {}", steps, s[std::size_t(axis)]);
        steps = s[std::size_t(axis)];
    }
    if (steps > kMaxIterations) return c.fail("the scan runs {} steps: too many to unroll", steps);
    scans->assign(p.n_out, {});
    for (int64_t t = 0; t < steps; ++t) {
        std::vector<ValueId> args = state;
        for (std::size_t j = 0; j < p.n_in; ++j) {
            const int64_t at = p.in_dirs[j] ? steps - 1 - t : t;
            ValueId idx = c.add_constant(scalar_i64(at), tag + "/index");
            ValueId elem = c.new_value(fmt::format("{}/in{}_{}", tag, j, t));
            KILN_TRY(c.add_node("Gather", {inputs[j], idx}, {elem}, {{"axis", int_attribute(p.in_axes[j])}}));
            args.push_back(elem);
        }
        Expected<std::vector<ValueId>> outs = c.inline_graph(body, args, fmt::format("{}/{}", tag, t));
        if (!outs) return outs.status();
        state.assign(outs->begin(), outs->begin() + long(p.n_state));
        for (std::size_t k = 0; k < p.n_out; ++k) (*scans)[k].push_back((*outs)[p.n_state + k]);
    }
    for (std::size_t k = 0; k < p.n_out; ++k)
        if (p.out_dirs[k]) std::reverse((*scans)[k].begin(), (*scans)[k].end());
    *final_state = state;
    return Status::ok();
}

Status expand_scan(ExpandCtx& c) {
    Expected<const Graph*> body_g = c.subgraph("body");
    if (!body_g) return c.status();
    const Graph& body = **body_g;
    const bool batched = c.opset() < 9;  // opset 8: a leading batch axis and an optional sequence_lens input
    const std::size_t first = batched ? 1 : 0;
    ScanPlan p;
    p.n_in = std::size_t(c.attr_int("num_scan_inputs", 0));
    if (c.num_inputs() < first + p.n_in || p.n_in == 0) return c.fail("num_scan_inputs={} does not fit the inputs", p.n_in);
    p.n_state = c.num_inputs() - first - p.n_in;
    if (body.inputs.size() != p.n_state + p.n_in || body.outputs.size() < p.n_state)
        return c.fail("body has {} inputs, expected {}", body.inputs.size(), p.n_state + p.n_in);
    p.n_out = body.outputs.size() - p.n_state;
    if (batched) {
        if (c.has_input(0)) return c.fail("sequence_lens is not supported: every sequence must be full length");
        p.in_dirs = c.attr_ints("directions", std::vector<int64_t>(p.n_in, 0));
        p.in_axes.assign(p.n_in, 0);
        p.out_axes.assign(p.n_out, 0);
        p.out_dirs.assign(p.n_out, 0);
    } else {
        p.in_axes = c.attr_ints("scan_input_axes", std::vector<int64_t>(p.n_in, 0));
        p.in_dirs = c.attr_ints("scan_input_directions", std::vector<int64_t>(p.n_in, 0));
        p.out_axes = c.attr_ints("scan_output_axes", std::vector<int64_t>(p.n_out, 0));
        p.out_dirs = c.attr_ints("scan_output_directions", std::vector<int64_t>(p.n_out, 0));
    }
    KILN_TRY(c.status());
    if (p.in_axes.size() != p.n_in || p.in_dirs.size() != p.n_in || p.out_axes.size() != p.n_out ||
        p.out_dirs.size() != p.n_out)
        return c.fail("scan axes/directions attributes do not match the number of scan inputs and outputs");
    std::vector<ValueId> state(c.node().inputs.begin() + long(first), c.node().inputs.begin() + long(first + p.n_state));
    std::vector<ValueId> inputs(c.node().inputs.begin() + long(first + p.n_state), c.node().inputs.end());
    const std::string& tag = c.node().name;
    if (!batched) {
        std::vector<ValueId> final_state;
        std::vector<std::vector<ValueId>> scans;
        KILN_TRY(unroll_scan(c, body, p, state, inputs, tag, &final_state, &scans));
        for (std::size_t k = 0; k < p.n_state; ++k)
            if (c.has_output(k)) c.bind_output(k, final_state[k]);
        for (std::size_t k = 0; k < p.n_out; ++k)
            if (c.has_output(p.n_state + k))
                KILN_TRY(stack(c, scans[k], p.out_axes[k], c.node().outputs[p.n_state + k], c.output(p.n_state + k).name));
        return Status::ok();
    }
    // Opset 8: the same scan per batch element (axis 0 of every input and state), results stacked on axis 0.
    const Shape& s0 = c.graph().value(inputs[0]).shape;
    if (s0.empty()) return c.fail("scan input has no batch axis");
    const int64_t batch = s0[0];
    std::vector<std::vector<ValueId>> per_state(p.n_state), per_out(p.n_out);
    for (int64_t b = 0; b < batch; ++b) {
        auto pick = [&](ValueId v, const std::string& what) -> Expected<ValueId> {
            ValueId idx = c.add_constant(scalar_i64(b), tag + "/batch");
            ValueId out = c.new_value(fmt::format("{}/{}{}", tag, what, b));
            Status s = c.add_node("Gather", {v, idx}, {out}, {{"axis", int_attribute(0)}});
            if (!s) return s;
            return out;
        };
        std::vector<ValueId> st, in;
        for (ValueId v : state) {
            Expected<ValueId> x = pick(v, "state");
            if (!x) return x.status();
            st.push_back(*x);
        }
        for (ValueId v : inputs) {
            Expected<ValueId> x = pick(v, "input");
            if (!x) return x.status();
            in.push_back(*x);
        }
        std::vector<ValueId> final_state;
        std::vector<std::vector<ValueId>> scans;
        KILN_TRY(unroll_scan(c, body, p, st, in, fmt::format("{}/b{}", tag, b), &final_state, &scans));
        for (std::size_t k = 0; k < p.n_state; ++k) per_state[k].push_back(final_state[k]);
        for (std::size_t k = 0; k < p.n_out; ++k) {
            ValueId stacked = c.new_value(fmt::format("{}/out{}_{}", tag, k, b));
            KILN_TRY(stack(c, scans[k], 0, stacked, c.graph().value(stacked).name));
            per_out[k].push_back(stacked);
        }
    }
    for (std::size_t k = 0; k < p.n_state; ++k)
        if (c.has_output(k)) KILN_TRY(stack(c, per_state[k], 0, c.node().outputs[k], c.output(k).name));
    for (std::size_t k = 0; k < p.n_out; ++k)
        if (c.has_output(p.n_state + k))
            KILN_TRY(stack(c, per_out[k], 0, c.node().outputs[p.n_state + k], c.output(p.n_state + k).name));
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_EXPANDED_OP(If, expand_if)
KILN_DEFINE_EXPANDED_OP(Loop, expand_loop)
KILN_DEFINE_EXPANDED_OP(Scan, expand_scan)
