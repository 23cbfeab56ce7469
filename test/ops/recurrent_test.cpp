// RNN, GRU and LSTM: one step against the closed-form gate equations, sequence_lens, reverse and
// bidirectional runs against separate forward runs, layout 1 against layout 0, activations and clip,
// the op's attribute errors, and the arena workspace plan-memory gives the node.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/recurrent.h"
#include "eval/evaluator.h"
#include "passes/pass.h"
#include "passes/plan_memory.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;
using kernels::RnnActivation;
using kernels::RnnParams;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

RnnParams params(int64_t seq, int64_t batch, int64_t input, int64_t hidden, int32_t dirs = 1) {
    RnnParams p{};
    p.seq_length = seq;
    p.batch = batch;
    p.input_size = input;
    p.hidden = hidden;
    p.num_directions = dirs;
    const RnnActivation sig{kernels::kRnnSigmoid, 0, 0}, tanh{kernels::kRnnTanh, 0, 0};
    for (int d = 0; d < 2; ++d) {
        p.act[d][0] = sig;
        p.act[d][1] = tanh;
        p.act[d][2] = tanh;
    }
    return p;
}

RnnParams rnn_params(int64_t seq, int64_t batch, int64_t input, int64_t hidden, int32_t dirs = 1) {
    RnnParams p = params(seq, batch, input, hidden, dirs);
    p.act[0][0] = p.act[1][0] = RnnActivation{kernels::kRnnTanh, 0, 0};
    return p;
}

std::vector<double> ramp(std::size_t n, double start, double step) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = start + step * double(i) * (i % 2 ? -1.0 : 1.0);
    return v;
}

struct LstmOut {
    std::vector<double> y, y_h, y_c;
};

// Runs the LSTM kernel with every optional input given as a vector (empty: absent).
LstmOut run_lstm(const RnnParams& p, const std::vector<double>& x, const std::vector<double>& w,
                 const std::vector<double>& r, const std::vector<double>& b, const std::vector<int32_t>& lens,
                 const std::vector<double>& h0, const std::vector<double>& c0, const std::vector<double>& peep) {
    const std::size_t states = std::size_t(p.num_directions * p.batch * p.hidden);
    LstmOut o{std::vector<double>(std::size_t(p.seq_length) * states), std::vector<double>(states),
              std::vector<double>(states)};
    std::vector<double> work(std::size_t(kernels::rnn_workspace_elems(4, p.hidden)));
    auto opt = [](const std::vector<double>& v) { return v.empty() ? nullptr : v.data(); };
    kernels::lstm(x.data(), w.data(), r.data(), opt(b), lens.empty() ? nullptr : lens.data(), opt(h0), opt(c0),
                  opt(peep), o.y.data(), o.y_h.data(), o.y_c.data(), work.data(), p);
    return o;
}

// Y and Y_h of the GRU kernel.
std::pair<std::vector<double>, std::vector<double>> run_gru(const RnnParams& p, const std::vector<double>& x,
                                                            const std::vector<double>& w, const std::vector<double>& r,
                                                            const std::vector<double>& b, const std::vector<int32_t>& lens,
                                                            const std::vector<double>& h0) {
    const std::size_t states = std::size_t(p.num_directions * p.batch * p.hidden);
    std::vector<double> y(std::size_t(p.seq_length) * states), y_h(states);
    std::vector<double> work(std::size_t(kernels::rnn_workspace_elems(3, p.hidden)));
    kernels::gru(x.data(), w.data(), r.data(), b.empty() ? nullptr : b.data(), lens.empty() ? nullptr : lens.data(),
                 h0.empty() ? nullptr : h0.data(), y.data(), y_h.data(), work.data(), p);
    return {y, y_h};
}

}  // namespace

TEST_CASE("RNN: two steps follow Ht = tanh(Xt*Wi^T + Ht-1*Ri^T + Wbi + Rbi)", "[ops][recurrent]") {
    RnnParams p = rnn_params(2, 1, 2, 2);
    const std::vector<double> x{1, 2, -0.5, 0.25}, w{0.1, 0.2, 0.3, 0.4}, r{0.5, -0.6, 0.7, 0.8},
        b{0.01, 0.02, 0.03, 0.04}, h0{0.2, -0.1};
    std::vector<double> y(4), y_h(2), work(std::size_t(kernels::rnn_workspace_elems(1, 2)));
    kernels::rnn(x.data(), w.data(), r.data(), b.data(), nullptr, h0.data(), y.data(), y_h.data(), work.data(), p);
    double h[2] = {h0[0], h0[1]};
    for (int t = 0; t < 2; ++t) {
        double n[2];
        for (int j = 0; j < 2; ++j)
            n[j] = std::tanh(w[2 * j] * x[2 * t] + w[2 * j + 1] * x[2 * t + 1] + r[2 * j] * h[0] + r[2 * j + 1] * h[1] +
                             b[j] + b[2 + j]);
        h[0] = n[0];
        h[1] = n[1];
        CHECK(y[2 * t] == Approx(h[0]));
        CHECK(y[2 * t + 1] == Approx(h[1]));
    }
    CHECK(y_h[0] == Approx(h[0]));
    CHECK(y_h[1] == Approx(h[1]));
}

TEST_CASE("GRU: one step matches the gate equations, with and without linear_before_reset", "[ops][recurrent]") {
    // One input, one hidden unit: W, R are the z, r, h scalars; B is Wb[zrh] then Rb[zrh].
    const std::vector<double> x{0.7}, w{0.4, -0.3, 0.9}, r{0.2, 0.5, -0.8}, b{0.1, -0.2, 0.3, 0.05, 0.15, -0.25},
        h0{0.6};
    const double z = sigmoid(w[0] * x[0] + r[0] * h0[0] + b[0] + b[3]);
    const double rr = sigmoid(w[1] * x[0] + r[1] * h0[0] + b[1] + b[4]);
    for (int lbr = 0; lbr < 2; ++lbr) {
        RnnParams p = params(1, 1, 1, 1);
        p.linear_before_reset = lbr;
        const double hh = lbr ? std::tanh(w[2] * x[0] + rr * (r[2] * h0[0] + b[5]) + b[2])
                              : std::tanh(w[2] * x[0] + r[2] * (rr * h0[0]) + b[5] + b[2]);
        const double expect = (1 - z) * hh + z * h0[0];
        auto out = run_gru(p, x, w, r, b, {}, h0);
        INFO("linear_before_reset=" << lbr);
        CHECK(out.first[0] == Approx(expect));
        CHECK(out.second[0] == Approx(expect));
    }
}

TEST_CASE("LSTM: one step with peepholes matches the gate equations", "[ops][recurrent]") {
    // Gates in W, R, B are ordered i, o, f, c; peepholes i, o, f.
    const std::vector<double> x{0.5}, w{0.3, -0.2, 0.6, 0.8}, r{-0.4, 0.1, 0.7, 0.2},
        b{0.01, 0.02, 0.03, 0.04, -0.05, 0.06, -0.07, 0.08}, h0{0.3}, c0{-0.4}, peep{0.25, -0.5, 0.75};
    const double hx = h0[0], cx = c0[0];
    const double i = sigmoid(w[0] * x[0] + r[0] * hx + peep[0] * cx + b[0] + b[4]);
    const double f = sigmoid(w[2] * x[0] + r[2] * hx + peep[2] * cx + b[2] + b[6]);
    const double g = std::tanh(w[3] * x[0] + r[3] * hx + b[3] + b[7]);
    const double c = f * cx + i * g;
    const double o = sigmoid(w[1] * x[0] + r[1] * hx + peep[1] * c + b[1] + b[5]);
    const double h = o * std::tanh(c);
    LstmOut out = run_lstm(params(1, 1, 1, 1), x, w, r, b, {}, h0, c0, peep);
    CHECK(out.y[0] == Approx(h));
    CHECK(out.y_h[0] == Approx(h));
    CHECK(out.y_c[0] == Approx(c));

    SECTION("input_forget couples the gates: f = 1 - i") {
        RnnParams p = params(1, 1, 1, 1);
        p.input_forget = 1;
        const double c2 = (1 - i) * cx + i * g;
        const double o2 = sigmoid(w[1] * x[0] + r[1] * hx + peep[1] * c2 + b[1] + b[5]);
        LstmOut o_if = run_lstm(p, x, w, r, b, {}, h0, c0, peep);
        CHECK(o_if.y_c[0] == Approx(c2));
        CHECK(o_if.y_h[0] == Approx(o2 * std::tanh(c2)));
    }
    SECTION("clip bounds every activation input, not the cell state") {
        RnnParams p = params(1, 1, 1, 1);
        p.has_clip = 1;
        p.clip = 0.05f;
        auto cl = [&](double v) { return v < -0.05 ? -0.05 : (v > 0.05 ? 0.05 : v); };
        const double ci = sigmoid(cl(w[0] * x[0] + r[0] * hx + peep[0] * cx + b[0] + b[4]));
        const double cf = sigmoid(cl(w[2] * x[0] + r[2] * hx + peep[2] * cx + b[2] + b[6]));
        const double cg = std::tanh(cl(w[3] * x[0] + r[3] * hx + b[3] + b[7]));
        const double cc = cf * cx + ci * cg;
        const double co = sigmoid(cl(w[1] * x[0] + r[1] * hx + peep[1] * cc + b[1] + b[5]));
        LstmOut o_clip = run_lstm(p, x, w, r, b, {}, h0, c0, peep);
        CHECK(o_clip.y_c[0] == Approx(cc));
        CHECK(o_clip.y_h[0] == Approx(co * std::tanh(cc)));
    }
}

TEST_CASE("RNN activations take their alpha and beta", "[ops][recurrent]") {
    struct Case {
        RnnActivation a;
        double (*f)(double, double, double);
    };
    const Case cases[] = {
        {{kernels::kRnnRelu, 0, 0}, [](double v, double, double) { return v > 0 ? v : 0; }},
        {{kernels::kRnnHardSigmoid, 0.3f, 0.4f},
         [](double v, double a, double b) { return std::min(1.0, std::max(0.0, a * v + b)); }},
        {{kernels::kRnnAffine, 1.5f, -0.25f}, [](double v, double a, double b) { return a * v + b; }},
        {{kernels::kRnnLeakyRelu, 0.1f, 0}, [](double v, double a, double) { return v < 0 ? a * v : v; }},
        {{kernels::kRnnThresholdedRelu, 0.2f, 0}, [](double v, double a, double) { return v > a ? v : 0; }},
        {{kernels::kRnnScaledTanh, 2.0f, 0.5f}, [](double v, double a, double b) { return a * std::tanh(b * v); }},
        {{kernels::kRnnElu, 0.7f, 0}, [](double v, double a, double) { return v < 0 ? a * (std::exp(v) - 1) : v; }},
        {{kernels::kRnnSoftsign, 0, 0}, [](double v, double, double) { return v / (1 + std::fabs(v)); }},
        {{kernels::kRnnSoftplus, 0, 0}, [](double v, double, double) { return std::log(1 + std::exp(v)); }},
    };
    // Hidden 3, input 1, R = 0: h = act(W x + b) for pre-activations of both signs.
    const std::vector<double> x{1.0}, w{0.9, -0.6, 0.3}, r(9, 0.0), b{0.1, 0.0, -0.5, 0, 0, 0};
    for (const Case& k : cases) {
        RnnParams p = rnn_params(1, 1, 1, 3);
        p.act[0][0] = k.a;
        std::vector<double> y(3), y_h(3), work(std::size_t(kernels::rnn_workspace_elems(1, 3)));
        kernels::rnn<double>(x.data(), w.data(), r.data(), b.data(), nullptr, nullptr, y.data(), y_h.data(), work.data(), p);
        INFO("activation kind " << k.a.kind);
        for (int j = 0; j < 3; ++j) CHECK(y[std::size_t(j)] == Approx(k.f(w[std::size_t(j)] + b[std::size_t(j)], k.a.alpha, k.a.beta)));
    }
}

TEST_CASE("sequence_lens: reverse starts at each row's last step; Y is zero past it", "[ops][recurrent]") {
    const int64_t S = 4, N = 2, I = 2, H = 3;
    const std::vector<double> x = ramp(std::size_t(S * N * I), 0.3, 0.11), w = ramp(std::size_t(4 * H * I), -0.2, 0.07),
                              r = ramp(std::size_t(4 * H * H), 0.1, 0.05), b = ramp(std::size_t(8 * H), 0.02, 0.01),
                              h0 = ramp(std::size_t(N * H), 0.1, 0.2), c0 = ramp(std::size_t(N * H), -0.3, 0.1);
    const std::vector<int32_t> lens{4, 2};
    for (int reverse = 0; reverse < 2; ++reverse) {
        RnnParams p = params(S, N, I, H);
        p.reverse = reverse;
        LstmOut all = run_lstm(p, x, w, r, b, lens, h0, c0, {});
        for (int64_t n = 0; n < N; ++n) {
            // Row n alone, its valid steps in processing order, run forward.
            const int64_t len = lens[std::size_t(n)];
            std::vector<double> xr;
            for (int64_t s = 0; s < len; ++s) {
                const int64_t t = reverse ? len - 1 - s : s;
                for (int64_t i = 0; i < I; ++i) xr.push_back(x[std::size_t((t * N + n) * I + i)]);
            }
            std::vector<double> h0r(h0.begin() + n * H, h0.begin() + (n + 1) * H), c0r(c0.begin() + n * H, c0.begin() + (n + 1) * H);
            LstmOut one = run_lstm(params(len, 1, I, H), xr, w, r, b, {}, h0r, c0r, {});
            INFO("reverse=" << reverse << " row " << n);
            for (int64_t t = 0; t < S; ++t)
                for (int64_t j = 0; j < H; ++j) {
                    const double got = all.y[std::size_t((t * N + n) * H + j)];
                    if (t >= len) {
                        CHECK(got == 0.0);
                        continue;
                    }
                    const int64_t s = reverse ? len - 1 - t : t;
                    CHECK(got == Approx(one.y[std::size_t(s * H + j)]).margin(1e-12));
                }
            for (int64_t j = 0; j < H; ++j) {
                CHECK(all.y_h[std::size_t(n * H + j)] == Approx(one.y_h[std::size_t(j)]).margin(1e-12));
                CHECK(all.y_c[std::size_t(n * H + j)] == Approx(one.y_c[std::size_t(j)]).margin(1e-12));
            }
        }
    }
    SECTION("a row of length 0 has zero outputs and final states") {
        LstmOut z = run_lstm(params(S, N, I, H), x, w, r, b, {0, 3}, h0, c0, {});
        for (int64_t t = 0; t < S; ++t)
            for (int64_t j = 0; j < H; ++j) CHECK(z.y[std::size_t((t * N) * H + j)] == 0.0);
        for (int64_t j = 0; j < H; ++j) {
            CHECK(z.y_h[std::size_t(j)] == 0.0);
            CHECK(z.y_c[std::size_t(j)] == 0.0);
        }
    }
}

TEST_CASE("bidirectional GRU is a forward and a reverse GRU side by side; layout 1 transposes", "[ops][recurrent]") {
    const int64_t S = 3, N = 2, I = 2, H = 2, G = 3;
    const std::vector<double> x = ramp(std::size_t(S * N * I), 0.5, 0.13);
    const std::vector<double> w = ramp(std::size_t(2 * G * H * I), 0.1, 0.03), r = ramp(std::size_t(2 * G * H * H), -0.1, 0.04),
                              b = ramp(std::size_t(2 * 2 * G * H), 0.05, 0.02), h0 = ramp(std::size_t(2 * N * H), 0.2, 0.1);
    auto half = [](const std::vector<double>& v, int d) {
        const std::size_t n = v.size() / 2;
        return std::vector<double>(v.begin() + long(d * n), v.begin() + long((d + 1) * n));
    };
    RnnParams bi = params(S, N, I, H, 2);
    bi.linear_before_reset = 1;
    auto both = run_gru(bi, x, w, r, b, {}, h0);
    for (int d = 0; d < 2; ++d) {
        RnnParams one = params(S, N, I, H);
        one.linear_before_reset = 1;
        one.reverse = d;
        auto single = run_gru(one, x, half(w, d), half(r, d), half(b, d), {}, half(h0, d));
        INFO("direction " << d);
        for (int64_t t = 0; t < S; ++t)
            for (int64_t k = 0; k < N * H; ++k)
                CHECK(both.first[std::size_t((t * 2 + d) * N * H + k)] == Approx(single.first[std::size_t(t * N * H + k)]));
        for (int64_t k = 0; k < N * H; ++k) CHECK(both.second[std::size_t(d * N * H + k)] == Approx(single.second[std::size_t(k)]));
    }

    // layout 1: X [batch, seq, input], Y [batch, seq, dirs, hidden], states [batch, dirs, hidden].
    std::vector<double> xb(x.size()), h0b(h0.size());
    for (int64_t t = 0; t < S; ++t)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < I; ++i) xb[std::size_t((n * S + t) * I + i)] = x[std::size_t((t * N + n) * I + i)];
    for (int64_t d = 0; d < 2; ++d)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t j = 0; j < H; ++j) h0b[std::size_t((n * 2 + d) * H + j)] = h0[std::size_t((d * N + n) * H + j)];
    RnnParams bm = bi;
    bm.batch_major = 1;
    auto batchwise = run_gru(bm, xb, w, r, b, {}, h0b);
    for (int64_t t = 0; t < S; ++t)
        for (int64_t d = 0; d < 2; ++d)
            for (int64_t n = 0; n < N; ++n)
                for (int64_t j = 0; j < H; ++j) {
                    CHECK(batchwise.first[std::size_t(((n * S + t) * 2 + d) * H + j)] ==
                          Approx(both.first[std::size_t(((t * 2 + d) * N + n) * H + j)]));
                    if (t == 0)
                        CHECK(batchwise.second[std::size_t((n * 2 + d) * H + j)] ==
                              Approx(both.second[std::size_t((d * N + n) * H + j)]));
                }
}

namespace {

// An LSTM node over X [3, 2, 4] with hidden 5, weights as initializers, and Y, Y_h, Y_c. With
// relu_around, X and Y pass through Relu nodes, so the LSTM reads and writes arena tensors Xr and Yl.
onnx::ModelProto lstm_model(int opset, const std::function<void(onnx::NodeProto*)>& attrs, bool relu_around = false) {
    onnx::ModelProto m = make_model(opset);
    add_input(m, "X", kFloat, {3, 2, 4});
    add_initializer(m, raw_float_tensor("W", {1, 20, 4}, std::vector<float>(80, 0.1f)));
    add_initializer(m, raw_float_tensor("R", {1, 20, 5}, std::vector<float>(100, -0.05f)));
    if (relu_around) add_node(m, "Relu", {"X"}, {"Xr"}, "pre");
    onnx::NodeProto* n = add_node(m, "LSTM", {relu_around ? "Xr" : "X", "W", "R"}, {relu_around ? "Yl" : "Y", "Y_h", "Y_c"}, "lstm");
    auto* hs = n->add_attribute();
    hs->set_name("hidden_size");
    hs->set_type(onnx::AttributeProto::INT);
    hs->set_i(5);
    attrs(n);
    if (relu_around) add_node(m, "Relu", {"Yl"}, {"Y"}, "post");
    add_output(m, "Y", kFloat, {});
    add_output(m, "Y_h", kFloat, {});
    add_output(m, "Y_c", kFloat, {});
    return m;
}

void add_strings(onnx::NodeProto* n, const char* name, std::vector<std::string> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRINGS);
    for (const std::string& s : v) a->add_strings(s);
}
void add_floats(onnx::NodeProto* n, const char* name, std::vector<float> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float f : v) a->add_floats(f);
}

std::string infer_error(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    return r.is_ok() ? std::string() : r.status().message();
}

}  // namespace

TEST_CASE("LSTM node: shapes, and attributes Kiln refuses rather than guess", "[ops][recurrent]") {
    Expected<Graph> g = import_model(lstm_model(14, [](onnx::NodeProto*) {}));
    REQUIRE(g.is_ok());
    Graph gi = inferred(std::move(*g));
    CHECK(gi.value(gi.find_value("Y")).shape == Shape{3, 1, 2, 5});
    CHECK(gi.value(gi.find_value("Y_c")).shape == Shape{1, 2, 5});

    CHECK_THAT(infer_error(lstm_model(14, [](onnx::NodeProto* n) { add_strings(n, "activations", {"Sigmoid", "Tanh", "Swish"}); })),
               Catch::Contains("activation 'Swish' is not supported"));
    CHECK_THAT(infer_error(lstm_model(14, [](onnx::NodeProto* n) { add_strings(n, "activations", {"Sigmoid", "Tanh"}); })),
               Catch::Contains("expected 3 (3 per direction)"));
    // One alpha per function (a positional reading) leaves values the functions do not take.
    CHECK_THAT(infer_error(lstm_model(14, [](onnx::NodeProto* n) {
                   add_strings(n, "activations", {"Sigmoid", "LeakyRelu", "Tanh"});
                   add_floats(n, "activation_alpha", {0.0f, 0.1f, 0.0f});
               })),
               Catch::Contains("activation_alpha/activation_beta have 3/0 values but the activations take 1/0"));
    CHECK_THAT(infer_error(lstm_model(14, [](onnx::NodeProto* n) { add_strings(n, "activations", {"Sigmoid", "ScaledTanh", "Tanh"}); })),
               Catch::Contains("ScaledTanh needs its alpha and beta"));
    // layout arrived with opset 14.
    CHECK_THAT(infer_error(lstm_model(13, [](onnx::NodeProto* n) {
                   auto* a = n->add_attribute();
                   a->set_name("layout");
                   a->set_type(onnx::AttributeProto::INT);
                   a->set_i(1);
               })),
               Catch::Contains("attribute 'layout' is not supported"));
}

TEST_CASE("plan-memory gives a recurrent node an arena workspace apart from its inputs and outputs",
          "[ops][recurrent][plan_memory]") {
    Expected<Graph> g = import_model(lstm_model(14, [](onnx::NodeProto*) {}, true));
    REQUIRE(g.is_ok());
    Graph gi = inferred(std::move(*g));
    MemoryPlan plan = plan_memory(gi, 16);
    REQUIRE(plan.workspace.count(1) == 1);
    const std::size_t ws = plan.workspace.at(1), ws_bytes = std::size_t(kernels::rnn_workspace_elems(4, 5)) * 4;
    for (const char* name : {"Xr", "Yl"}) {
        const std::size_t at = plan.offset.at(gi.find_value(name)), bytes = gi.value(gi.find_value(name)).nbytes();
        INFO(name);
        CHECK((at + bytes <= ws || ws + ws_bytes <= at));
    }
    CHECK(plan.arena_bytes >= ws + ws_bytes);
}
