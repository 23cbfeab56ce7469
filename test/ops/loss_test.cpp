// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: the kernels against the ONNX spec's worked examples
// and a straightforward reference over odd sizes (every reduction, weights, ignore_index, int32 labels),
// and the operators' shape rules and errors through infer-shapes and the reference evaluator.
#include <cmath>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/loss.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

using kernels::LossParams;
using Io = kernels::PlainIo<float>;

// The spec's example: N=2, C=3, d1=2.
const std::vector<float> kExampleInput = {1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2};
const std::vector<int64_t> kExampleTarget = {2, 1, 0, 2};
const std::vector<float> kExampleWeight = {0.2f, 0.3f, 0.1f};

// Loss per sample and the reduced loss, by the definition (in double), with x holding log-probabilities.
struct Reference {
    std::vector<double> per_sample;
    double sum = 0, weight_sum = 0;
};
template <typename I>
Reference reference_loss(const std::vector<double>& logp, const std::vector<I>& labels, const std::vector<float>* w,
                         const LossParams& p) {
    Reference r;
    for (int64_t n = 0; n < p.n; ++n)
        for (int64_t d = 0; d < p.d; ++d) {
            const int64_t t = int64_t(labels[std::size_t(n * p.d + d)]);
            double l = 0, wt = 0;
            if (!(p.has_ignore_index && t == p.ignore_index)) {
                wt = w ? double((*w)[std::size_t(t)]) : 1.0;
                l = -logp[std::size_t((n * p.c + t) * p.d + d)] * wt;
            }
            r.per_sample.push_back(l);
            r.sum += l;
            r.weight_sum += wt;
        }
    return r;
}

std::vector<float> random_floats(std::size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
}

// Class weights in [0.5, 3.5): a mean never divides by a sum near zero.
std::vector<float> positive(std::vector<float> v) {
    for (float& x : v) x = std::fabs(x) + 0.5f;
    return v;
}

template <typename I>
std::vector<I> random_labels(std::size_t n, int64_t classes, int64_t ignore, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> u(0, classes);  // `classes` stands for ignore_index
    std::vector<I> v(n);
    for (I& x : v) {
        const int64_t t = u(rng);
        x = I(t == classes ? ignore : t);
    }
    return v;
}

// log_softmax along c of x viewed as [n, c, d], in double.
std::vector<double> log_softmax(const std::vector<float>& x, const LossParams& p) {
    std::vector<double> out(x.size());
    for (int64_t n = 0; n < p.n; ++n)
        for (int64_t d = 0; d < p.d; ++d) {
            double sum = 0;
            for (int64_t k = 0; k < p.c; ++k) sum += std::exp(double(x[std::size_t((n * p.c + k) * p.d + d)]));
            for (int64_t k = 0; k < p.c; ++k) {
                const std::size_t i = std::size_t((n * p.c + k) * p.d + d);
                out[i] = double(x[i]) - std::log(sum);
            }
        }
    return out;
}

void check_against(const std::vector<float>& got, const Reference& r, int32_t reduction) {
    if (reduction == kernels::kLossNone) {
        REQUIRE(got.size() == r.per_sample.size());
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(r.per_sample[i]).margin(1e-5));
    } else if (reduction == kernels::kLossSum) {
        CHECK(got[0] == Approx(r.sum).epsilon(1e-5));
    } else {
        CHECK(got[0] == Approx(r.sum / r.weight_sum).epsilon(1e-5));
    }
}

}  // namespace

TEST_CASE("nll_loss reproduces the spec's examples", "[ops][loss]") {
    const LossParams none{2, 3, 2, 0, 0, kernels::kLossNone};
    std::vector<float> loss(4);
    kernels::nll_loss<Io>(kExampleInput.data(), kExampleTarget.data(), static_cast<const float*>(nullptr),
                          loss.data(), none);
    CHECK(loss == std::vector<float>{-3, -2, 0, -2});

    float scalar = 0;
    LossParams sum = none;
    sum.reduction = kernels::kLossSum;
    kernels::nll_loss<Io>(kExampleInput.data(), kExampleTarget.data(), kExampleWeight.data(), &scalar, sum);
    CHECK(scalar == Approx(-1.1));
    LossParams mean = none;
    mean.reduction = kernels::kLossMean;
    kernels::nll_loss<Io>(kExampleInput.data(), kExampleTarget.data(), kExampleWeight.data(), &scalar, mean);
    CHECK(scalar == Approx(-1.1 / 0.7));  // the spec prints -1.57
}

TEST_CASE("nll_loss matches the definition over odd sizes, reductions, weights and ignore_index", "[ops][loss]") {
    for (int64_t d : {1, 5}) {
        for (int32_t reduction : {kernels::kLossNone, kernels::kLossSum, kernels::kLossMean}) {
            for (bool weighted : {false, true}) {
                for (int64_t ignore : {int64_t(-1), int64_t(2), int64_t(40)}) {
                    const LossParams p{3, 7, d, ignore, ignore != 40, reduction};
                    const std::vector<float> x = random_floats(std::size_t(3 * 7 * d), 11);
                    const std::vector<float> w = positive(random_floats(7, 12));
                    // Label 40 never occurs, so that case also covers labels without ignore_index.
                    const std::vector<int32_t> t =
                        random_labels<int32_t>(std::size_t(3 * d), 7, ignore == 40 ? 6 : ignore, 13);
                    std::vector<float> loss(reduction == kernels::kLossNone ? std::size_t(3 * d) : 1);
                    kernels::nll_loss<Io>(x.data(), t.data(), weighted ? w.data() : nullptr, loss.data(), p);
                    const std::vector<double> logp(x.begin(), x.end());
                    check_against(loss, reference_loss(logp, t, weighted ? &w : nullptr, p), reduction);
                }
            }
        }
    }
}

TEST_CASE("softmax_cross_entropy matches log_softmax then nll, and writes log_prob", "[ops][loss]") {
    for (int64_t d : {1, 3, 7}) {
        for (int32_t reduction : {kernels::kLossNone, kernels::kLossSum, kernels::kLossMean}) {
            for (bool weighted : {false, true}) {
                const LossParams p{5, 3, d, 1, 1, reduction};
                const std::vector<float> x = random_floats(std::size_t(5 * 3 * d), 21);
                const std::vector<float> w = positive(random_floats(3, 22));
                const std::vector<int64_t> t = random_labels<int64_t>(std::size_t(5 * d), 3, 1, 23);
                std::vector<float> loss(reduction == kernels::kLossNone ? std::size_t(5 * d) : 1);
                std::vector<float> log_prob(x.size());
                kernels::softmax_cross_entropy<Io>(x.data(), t.data(), weighted ? w.data() : nullptr, loss.data(),
                                                   log_prob.data(), p);
                const std::vector<double> logp = log_softmax(x, p);
                check_against(loss, reference_loss(logp, t, weighted ? &w : nullptr, p), reduction);
                for (std::size_t i = 0; i < x.size(); ++i) CHECK(log_prob[i] == Approx(logp[i]).margin(1e-5));
                // Without log_prob the loss is the same.
                std::vector<float> again(loss.size());
                kernels::softmax_cross_entropy<Io>(x.data(), t.data(), weighted ? w.data() : nullptr, again.data(),
                                                   static_cast<float*>(nullptr), p);
                CHECK(again == loss);
            }
        }
    }
}

TEST_CASE("loss kernels: large scores do not overflow, bad labels give NaN", "[ops][loss]") {
    const LossParams none{1, 3, 1, 0, 0, kernels::kLossNone};
    const std::vector<float> x = {1000.0f, 1001.0f, 999.0f};
    const int64_t label = 1;
    float loss = 0;
    kernels::softmax_cross_entropy<Io>(x.data(), &label, static_cast<const float*>(nullptr), &loss,
                                       static_cast<float*>(nullptr), none);
    // lse = 1001.4076 in float: its ulp, 6e-5, bounds the precision.
    CHECK(loss == Approx(std::log(1.0 + std::exp(-1.0) + std::exp(-2.0))).margin(1e-4));

    const int64_t bad[2] = {3, -2};
    LossParams mean{2, 3, 1, 0, 0, kernels::kLossMean};
    const std::vector<float> x2 = {0, 1, 2, 3, 4, 5};
    kernels::nll_loss<Io>(x2.data(), bad, static_cast<const float*>(nullptr), &loss, mean);
    CHECK(std::isnan(loss));
    // ...unless the bad label is ignore_index: then the other sample is the mean.
    const int64_t ignored[2] = {-2, 2};
    mean.ignore_index = -2;
    mean.has_ignore_index = 1;
    kernels::nll_loss<Io>(x2.data(), ignored, static_cast<const float*>(nullptr), &loss, mean);
    CHECK(loss == -5.0f);
}

TEST_CASE("loss kernels compute float16 in float", "[ops][loss]") {
    const LossParams sum{2, 3, 2, 0, 0, kernels::kLossSum};
    std::vector<uint16_t> x;
    for (float v : kExampleInput) x.push_back(kernels::double_to_f16(v));
    uint16_t loss = 0;
    kernels::nll_loss<kernels::F16Io>(x.data(), kExampleTarget.data(), static_cast<const uint16_t*>(nullptr), &loss,
                                      sum);
    CHECK(kernels::f16_to_float(loss) == -7.0f);
}

namespace {

// scores [N, C, d1], labels [N, d1], optional weights; `extra` adds attributes.
onnx::ModelProto loss_model(const std::string& op, Shape scores, Shape labels, bool weights,
                            const std::string& reduction, bool log_prob = false, int label_type = kInt64) {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, std::vector<Dim>(scores.begin(), scores.end()));
    add_input(m, "t", label_type, std::vector<Dim>(labels.begin(), labels.end()));
    std::vector<std::string> ins = {"x", "t"};
    if (weights) {
        add_input(m, "w", kFloat, {scores[1]});
        ins.push_back("w");
    }
    std::vector<std::string> outs = {"y"};
    if (log_prob) outs.push_back("lp");
    onnx::NodeProto* n = add_node(m, op, ins, outs, "loss");
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("reduction");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(reduction);
    add_output(m, "y", kFloat, {});
    if (log_prob) add_output(m, "lp", kFloat, {});
    return m;
}

std::string infer_error(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

}  // namespace

TEST_CASE("loss ops: output shapes follow the reduction; log_prob has the scores' shape", "[ops][loss]") {
    Graph g =
        inferred(*import_model(loss_model("SoftmaxCrossEntropyLoss", {3, 5, 2, 4}, {3, 2, 4}, true, "none", true)));
    CHECK(g.value(g.find_value("y")).shape == Shape{3, 2, 4});
    CHECK(g.value(g.find_value("lp")).shape == Shape{3, 5, 2, 4});
    Graph s =
        inferred(*import_model(loss_model("NegativeLogLikelihoodLoss", {3, 5}, {3}, false, "sum", false, kInt32)));
    CHECK(s.value(s.find_value("y")).shape == Shape{});

    // The evaluator runs the kernel: sum of -x[n, t[n]].
    Tensor x = random_float_tensor({3, 5}, 4);
    Tensor t(DType::Int32, {3});
    t.data<int32_t>()[0] = 4;
    t.data<int32_t>()[1] = 0;
    t.data<int32_t>()[2] = 2;
    Tensor y = evaluate_ok(s, {x, t})[0];
    const float* xv = x.data<float>();
    CHECK(y.data<float>()[0] == Approx(-(xv[4] + xv[5] + xv[12])));
}

TEST_CASE("loss ops: errors name the problem", "[ops][loss]") {
    CHECK_THAT(infer_error(loss_model("NegativeLogLikelihoodLoss", {3, 5, 2}, {3, 3}, false, "mean")),
               Catch::Contains("target have shape 3x3; expected 3x2"));
    CHECK_THAT(infer_error(loss_model("NegativeLogLikelihoodLoss", {3, 5}, {3}, false, "max")),
               Catch::Contains("attribute reduction='max' is not one of none, sum, mean"));
    CHECK_THAT(infer_error(loss_model("SoftmaxCrossEntropyLoss", {3}, {3}, false, "mean")),
               Catch::Contains("rank 2 or more"));
    CHECK_THAT(infer_error(loss_model("NegativeLogLikelihoodLoss", {3, 5}, {3}, false, "sum", false, kFloat)),
               Catch::Contains("input 1 't' has type f32"));
}
