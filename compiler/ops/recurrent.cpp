// Recurrent layers RNN, GRU and LSTM: forward, reverse and bidirectional; optional B, initial states and
// LSTM peepholes; per-row sequence_lens (a run-time input is fine); clip; every activation function of the
// spec with its alpha/beta; GRU linear_before_reset; LSTM input_forget; layout 0 and 1 (opset 14); each of
// Y, Y_h, Y_c optional. The kernel's per-row state lives in an arena workspace. Kernel: portable/recurrent.h.
#include <algorithm>
#include <cctype>

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/recurrent.h"
#include "ops/dispatch.h"
#include "ops/registry.h"

namespace kiln {
namespace {

using kernels::RnnParams;

// What differs between the three ops.
struct Cell {
    int64_t gates;                    // blocks of hidden_size rows in W and R
    std::size_t num_acts;             // activation functions per direction: f [, g [, h]]
    const char* default_acts[3];
    std::size_t max_inputs, max_outputs;
};
const Cell kRnn{1, 1, {"Tanh"}, 6, 2};
const Cell kGru{3, 2, {"Sigmoid", "Tanh"}, 6, 2};
const Cell kLstm{4, 3, {"Sigmoid", "Tanh", "Tanh"}, 8, 3};

enum Input : std::size_t { kX = 0, kW, kR, kB, kSeqLens, kInitialH, kInitialC, kP };

// Activation functions by name, with the alpha/beta they take. Defaults are those of the ONNX operator of
// the same name; Affine and ScaledTanh have no operator (any more), so their values must be given.
struct ActivationSpec {
    const char* name;
    int32_t kind;
    bool uses_alpha, uses_beta, has_defaults;
    float alpha, beta;
};
const ActivationSpec kActivations[] = {
    {"Sigmoid", kernels::kRnnSigmoid, false, false, true, 0.0f, 0.0f},
    {"Tanh", kernels::kRnnTanh, false, false, true, 0.0f, 0.0f},
    {"Relu", kernels::kRnnRelu, false, false, true, 0.0f, 0.0f},
    {"HardSigmoid", kernels::kRnnHardSigmoid, true, true, true, 0.2f, 0.5f},
    {"Affine", kernels::kRnnAffine, true, true, false, 0.0f, 0.0f},
    {"LeakyRelu", kernels::kRnnLeakyRelu, true, false, true, 0.01f, 0.0f},
    {"ThresholdedRelu", kernels::kRnnThresholdedRelu, true, false, true, 1.0f, 0.0f},
    {"ScaledTanh", kernels::kRnnScaledTanh, true, true, false, 0.0f, 0.0f},
    {"Elu", kernels::kRnnElu, true, false, true, 1.0f, 0.0f},
    {"Softsign", kernels::kRnnSoftsign, false, false, true, 0.0f, 0.0f},
    {"Softplus", kernels::kRnnSoftplus, false, false, true, 0.0f, 0.0f},
};

bool same_name(const std::string& a, const char* b) {
    std::size_t i = 0;
    for (; i < a.size() && b[i]; ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return i == a.size() && !b[i];
}

// `activations` lists f[, g[, h]] per direction (forward first). A bidirectional node may list one set for
// both directions; a one-direction node may repeat its set (ONNX's RNN default is "Tanh, Tanh").
// activation_alpha/beta are consumed in order by the functions that take them.
Status make_activations(NodeCtx& c, const Cell& cell, RnnParams* p) {
    std::vector<std::string> names = c.attr_strings("activations");
    const std::vector<float> alphas = c.attr_floats("activation_alpha");
    const std::vector<float> betas = c.attr_floats("activation_beta");
    KILN_TRY(c.status());
    const std::size_t k = cell.num_acts, dirs = std::size_t(p->num_directions);
    if (names.empty())
        for (std::size_t d = 0; d < dirs; ++d) names.insert(names.end(), cell.default_acts, cell.default_acts + k);
    if (dirs == 1 && names.size() == 2 * k && std::equal(names.begin(), names.begin() + long(k), names.begin() + long(k)))
        names.resize(k);
    if (dirs == 2 && names.size() == k) names.insert(names.end(), names.begin(), names.end());
    if (names.size() != k * dirs)
        return c.fail("activations has {} functions, expected {} ({} per direction)", names.size(), k * dirs, k);
    std::size_t next_alpha = 0, next_beta = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const ActivationSpec* spec = nullptr;
        for (const ActivationSpec& s : kActivations)
            if (same_name(names[i], s.name)) spec = &s;
        if (!spec) return c.fail("activation '{}' is not supported", names[i]);
        kernels::RnnActivation a{spec->kind, spec->alpha, spec->beta};
        const bool given_alpha = spec->uses_alpha && next_alpha < alphas.size();
        const bool given_beta = spec->uses_beta && next_beta < betas.size();
        if (given_alpha) a.alpha = alphas[next_alpha++];
        if (given_beta) a.beta = betas[next_beta++];
        if (!spec->has_defaults && (given_alpha != spec->uses_alpha || given_beta != spec->uses_beta))
            return c.fail("activation {} needs its alpha and beta in activation_alpha/activation_beta", spec->name);
        p->act[i / k][i % k] = a;
    }
    // Values left over mean the model meant another pairing (e.g. one alpha per function): refuse to guess.
    if (next_alpha != alphas.size() || next_beta != betas.size())
        return c.fail("activation_alpha/activation_beta have {}/{} values but the activations take {}/{}",
                      alphas.size(), betas.size(), next_alpha, next_beta);
    return Status::ok();
}

Status check_shape(NodeCtx& c, std::size_t i, const char* what, const Shape& want) {
    if (c.has_input(i) && c.in_shape(i) != want)
        return c.fail("input {} ({}) has shape {}, expected {}", i, what, shape_str(c.in_shape(i)), shape_str(want));
    return Status::ok();
}

// Every attribute and input check, shared by infer, eval and emit.
Status make_params(NodeCtx& c, const Cell& cell, RnnParams* p) {
    *p = RnnParams{};
    const DType t = c.in_dtype(kX);
    if (t != DType::Float32 && t != DType::Float64)
        return c.fail("X has type {}; float and double are supported", dtype_name(t));
    for (std::size_t i = 1; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) continue;
        const DType want = i == kSeqLens ? DType::Int32 : t;
        if (c.in_dtype(i) != want)
            return c.fail("input {} has type {}, expected {}", i, dtype_name(c.in_dtype(i)), dtype_name(want));
    }
    if (c.num_outputs() > cell.max_outputs)
        return c.fail("{} outputs, at most {} expected", c.num_outputs(), cell.max_outputs);
    const int64_t layout = c.opset() >= 14 ? c.attr_int("layout", 0) : 0;
    if (layout != 0 && layout != 1) return c.fail("layout={} is not supported (0 or 1)", layout);
    const std::string dir = c.attr_string("direction", "forward");
    if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
        return c.fail("direction='{}' is not supported (forward, reverse or bidirectional)", dir);
    // Before opset 7 Y was optional only through this flag; Kiln computes Y whenever the node names it.
    if (c.opset() < 7) c.attr_int("output_sequence", 0);
    const bool has_hidden_size = c.has_attr("hidden_size");
    const int64_t hidden_attr = c.attr_int("hidden_size", 0);
    const bool has_clip = c.has_attr("clip");
    const float clip = c.attr_float("clip", 0.0f);
    const int64_t lbr = cell.gates == 3 && c.opset() >= 3 ? c.attr_int("linear_before_reset", 0) : 0;
    const int64_t input_forget = cell.gates == 4 ? c.attr_int("input_forget", 0) : 0;
    KILN_TRY(c.status());

    const Shape& x = c.in_shape(kX);
    const Shape& r = c.in_shape(kR);
    if (x.size() != 3) return c.fail("X has shape {}, expected 3 dims", shape_str(x));
    if (r.size() != 3) return c.fail("R has shape {}, expected 3 dims", shape_str(r));
    const int64_t dirs = dir == "bidirectional" ? 2 : 1;
    const int64_t hidden = has_hidden_size ? hidden_attr : r[2];
    if (hidden < 1) return c.fail("hidden_size={} must be positive", hidden);
    const int64_t seq = layout ? x[1] : x[0], batch = layout ? x[0] : x[1], gh = cell.gates * hidden;
    const Shape state = layout ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
    KILN_TRY(check_shape(c, kW, "W", {dirs, gh, x[2]}));
    KILN_TRY(check_shape(c, kR, "R", {dirs, gh, hidden}));
    KILN_TRY(check_shape(c, kB, "B", {dirs, 2 * gh}));
    KILN_TRY(check_shape(c, kSeqLens, "sequence_lens", {batch}));
    KILN_TRY(check_shape(c, kInitialH, "initial_h", state));
    if (cell.gates == 4) {
        KILN_TRY(check_shape(c, kInitialC, "initial_c", state));
        KILN_TRY(check_shape(c, kP, "P", {dirs, 3 * hidden}));
    }
    if (has_clip && !(clip >= 0.0f)) return c.fail("clip={} must be a non-negative threshold", clip);

    p->seq_length = seq;
    p->batch = batch;
    p->input_size = x[2];
    p->hidden = hidden;
    p->num_directions = int32_t(dirs);
    p->reverse = dir == "reverse";
    p->batch_major = int32_t(layout);
    p->has_clip = has_clip;
    p->clip = has_clip ? clip : 0.0f;
    p->linear_before_reset = lbr != 0;
    p->input_forget = input_forget != 0;
    return make_activations(c, cell, p);
}

Shape y_shape(const RnnParams& p) {
    return p.batch_major ? Shape{p.batch, p.seq_length, p.num_directions, p.hidden}
                         : Shape{p.seq_length, p.num_directions, p.batch, p.hidden};
}
Shape state_shape(const RnnParams& p) {
    return p.batch_major ? Shape{p.batch, p.num_directions, p.hidden} : Shape{p.num_directions, p.batch, p.hidden};
}

Status infer_cell(InferCtx& c, const Cell& cell) {
    KILN_TRY(c.require_inputs(3, cell.max_inputs));
    RnnParams p;
    KILN_TRY(make_params(c, cell, &p));
    c.set_output(0, c.in_dtype(kX), y_shape(p));
    for (std::size_t i = 1; i < c.num_outputs(); ++i) c.set_output(i, c.in_dtype(kX), state_shape(p));
    return c.status();
}

Status eval_cell(EvalCtx& c, const Cell& cell) {
    RnnParams p;
    KILN_TRY(make_params(c, cell, &p));
    bool ok = dispatch_float(c.in(kX).dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto in = [&](std::size_t i) { return c.has_in(i) ? c.in(i).data<T>() : nullptr; };
        auto out = [&](std::size_t i) { return c.has_out(i) ? c.out(i).data<T>() : nullptr; };
        const int32_t* lens = c.has_in(kSeqLens) ? c.in(kSeqLens).data<int32_t>() : nullptr;
        std::vector<T> work(std::size_t(kernels::rnn_workspace_elems(cell.gates, p.hidden)));
        if (cell.gates == 1)
            kernels::rnn(in(kX), in(kW), in(kR), in(kB), lens, in(kInitialH), out(0), out(1), work.data(), p);
        else if (cell.gates == 3)
            kernels::gru(in(kX), in(kW), in(kR), in(kB), lens, in(kInitialH), out(0), out(1), work.data(), p);
        else
            kernels::lstm(in(kX), in(kW), in(kR), in(kB), lens, in(kInitialH), in(kInitialC), in(kP), out(0), out(1),
                          out(2), work.data(), p);
    });
    return ok ? Status::ok() : c.fail("type {} is not supported", dtype_name(c.in(kX).dtype()));
}

std::string c_rnn_params(const RnnParams& p) {
    std::vector<std::string> dirs;
    for (const auto& d : p.act) {
        std::vector<std::string> acts;
        for (const kernels::RnnActivation& a : d)
            acts.push_back(fmt::format("{{{}, {}, {}}}", a.kind, c_float(a.alpha), c_float(a.beta)));
        dirs.push_back(fmt::format("{{{}}}", fmt::join(acts, ", ")));
    }
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {{{}}}}}", p.seq_length, p.batch, p.input_size,
                       p.hidden, p.num_directions, p.reverse, p.batch_major, p.has_clip, c_float(p.clip),
                       p.linear_before_reset, p.input_forget, fmt::join(dirs, ", "));
}

Status emit_cell(EmitCtx& c, const Cell& cell, const char* kernel) {
    RnnParams p;
    KILN_TRY(make_params(c, cell, &p));
    c.use_kernel("portable/recurrent.h");
    const std::string name = c.define_params("k::RnnParams", c_rnn_params(p));
    auto in = [&](std::size_t i) { return i < c.num_inputs() ? c.in(i) : std::string("nullptr"); };
    auto out = [&](std::size_t i) { return i < c.num_outputs() ? c.out(i) : std::string("nullptr"); };
    const std::string t = c.in_ctype(kX), work = c.workspace(t);
    if (cell.gates == 4)
        c.call("k::lstm<{}>({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});", t, in(kX), in(kW), in(kR), in(kB),
               in(kSeqLens), in(kInitialH), in(kInitialC), in(kP), out(0), out(1), out(2), work, name);
    else
        c.call("k::{}<{}>({}, {}, {}, {}, {}, {}, {}, {}, {}, {});", kernel, t, in(kX), in(kW), in(kR), in(kB),
               in(kSeqLens), in(kInitialH), out(0), out(1), work, name);
    return c.status();
}

// Every step of every direction multiplies the input and the previous state by each gate row.
int64_t cell_macs(NodeCtx& c, const Cell& cell) {
    const Shape& w = c.in_shape(kW);
    const Shape& x = c.in_shape(kX);
    if (w.size() != 3 || x.size() != 3) return 0;
    const int64_t hidden = w[1] / cell.gates;
    return w[0] * x[0] * x[1] * w[1] * (w[2] + hidden);
}

std::size_t cell_workspace(NodeCtx& c, const Cell& cell) {
    const Shape& w = c.in_shape(kW);
    if (w.size() != 3) return 0;
    return std::size_t(kernels::rnn_workspace_elems(cell.gates, w[1] / cell.gates)) * dtype_size(c.in_dtype(kX));
}

Status infer_rnn(InferCtx& c) { return infer_cell(c, kRnn); }
Status eval_rnn(EvalCtx& c) { return eval_cell(c, kRnn); }
Status emit_rnn(EmitCtx& c) { return emit_cell(c, kRnn, "rnn"); }
int64_t macs_rnn(NodeCtx& c) { return cell_macs(c, kRnn); }
std::size_t workspace_rnn(NodeCtx& c) { return cell_workspace(c, kRnn); }

Status infer_gru(InferCtx& c) { return infer_cell(c, kGru); }
Status eval_gru(EvalCtx& c) { return eval_cell(c, kGru); }
Status emit_gru(EmitCtx& c) { return emit_cell(c, kGru, "gru"); }
int64_t macs_gru(NodeCtx& c) { return cell_macs(c, kGru); }
std::size_t workspace_gru(NodeCtx& c) { return cell_workspace(c, kGru); }

Status infer_lstm(InferCtx& c) { return infer_cell(c, kLstm); }
Status eval_lstm(EvalCtx& c) { return eval_cell(c, kLstm); }
Status emit_lstm(EmitCtx& c) { return emit_cell(c, kLstm, "lstm"); }
int64_t macs_lstm(NodeCtx& c) { return cell_macs(c, kLstm); }
std::size_t workspace_lstm(NodeCtx& c) { return cell_workspace(c, kLstm); }

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP_WORKSPACE(GRU, infer_gru, eval_gru, emit_gru, macs_gru, workspace_gru)
KILN_DEFINE_OP_WORKSPACE(LSTM, infer_lstm, eval_lstm, emit_lstm, macs_lstm, workspace_lstm)
KILN_DEFINE_OP_WORKSPACE(RNN, infer_rnn, eval_rnn, emit_rnn, macs_rnn, workspace_rnn)
