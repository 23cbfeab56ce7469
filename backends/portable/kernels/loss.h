// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. Scores are viewed as [n, c, d] (d = d1*...*dk,
// 1 for 2-D inputs), labels and the unreduced loss as [n, d]. A label equal to ignore_index gives loss 0
// and weight 0; a label outside [0, c) cannot raise an error here, so it gives NaN (loss and weight),
// which then shows in any reduction instead of reading outside the scores.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "float_io.h"

namespace kiln {
namespace kernels {

constexpr int32_t kLossNone = 0;  // loss[n, d]
constexpr int32_t kLossSum = 1;   // scalar: sum of the losses
constexpr int32_t kLossMean = 2;  // scalar: sum of the losses / sum of the weights of the samples

struct LossParams {
    int64_t n, c, d;
    int64_t ignore_index;
    int32_t has_ignore_index;
    int32_t reduction;
};

// Adds up one sample at a time and writes the unreduced loss or, at the end, the reduced one.
template <typename Io, typename T, typename I>
struct LossAccumulator {
    using Acc = typename Io::Acc;
    const I* labels;
    const T* weight;  // nullptr: every class weighs 1
    T* loss;
    const LossParams& p;
    Acc sum, weight_sum;

    // The class sample s is labelled with, or -1 when it is ignored or out of range (*w tells which).
    int64_t label(int64_t s, Acc* w) const {
        const int64_t t = int64_t(labels[s]);
        if (p.has_ignore_index && t == p.ignore_index) {
            *w = Acc(0);
            return -1;
        }
        if (t < 0 || t >= p.c) {
            *w = Acc(NAN);
            return -1;
        }
        *w = weight ? Io::load(weight[t]) : Acc(1);
        return t;
    }
    // neg_log_prob: -log p(class) of the sample, unused when the class is -1: then the loss is the
    // weight label() gave, 0 for an ignored sample and NaN for an out-of-range label.
    void add(int64_t s, int64_t cls, Acc w, Acc neg_log_prob) {
        const Acc l = cls < 0 ? w : neg_log_prob * w;
        if (p.reduction == kLossNone) loss[s] = Io::store(l);
        sum += l;
        weight_sum += w;
    }
    void finish() const {
        if (p.reduction == kLossSum) loss[0] = Io::store(sum);
        else if (p.reduction == kLossMean) loss[0] = Io::store(sum / weight_sum);
    }
};

template <typename Io, typename T, typename I>
inline void nll_loss(const T* x, const I* labels, const T* weight, T* loss, const LossParams& p) {
    using Acc = typename Io::Acc;
    LossAccumulator<Io, T, I> acc{labels, weight, loss, p, Acc(0), Acc(0)};
    for (int64_t n = 0; n < p.n; ++n) {
        for (int64_t d = 0; d < p.d; ++d) {
            const int64_t s = n * p.d + d;
            Acc w;
            const int64_t cls = acc.label(s, &w);
            acc.add(s, cls, w, cls < 0 ? Acc(0) : -Io::load(x[(n * p.c + cls) * p.d + d]));
        }
    }
    acc.finish();
}

// log_prob (may be nullptr) receives log_softmax(x) along c, shaped like x.
template <typename Io, typename T, typename I>
inline void softmax_cross_entropy(const T* x, const I* labels, const T* weight, T* loss, T* log_prob,
                                  const LossParams& p) {
    using Acc = typename Io::Acc;
    LossAccumulator<Io, T, I> acc{labels, weight, loss, p, Acc(0), Acc(0)};
    for (int64_t n = 0; n < p.n; ++n) {
        for (int64_t d = 0; d < p.d; ++d) {
            const T* xs = x + n * p.c * p.d + d;  // class k of this sample is xs[k * p.d]; c >= 1
            Acc m = Io::load(xs[0]);
            for (int64_t k = 1; k < p.c; ++k) m = max_of(m, Io::load(xs[k * p.d]));
            Acc e = Acc(0);
            for (int64_t k = 0; k < p.c; ++k) e += std::exp(Io::load(xs[k * p.d]) - m);
            const Acc log_sum = m + std::log(e);
            if (log_prob) {
                T* lp = log_prob + n * p.c * p.d + d;
                for (int64_t k = 0; k < p.c; ++k) lp[k * p.d] = Io::store(Io::load(xs[k * p.d]) - log_sum);
            }
            const int64_t s = n * p.d + d;
            Acc w;
            const int64_t cls = acc.label(s, &w);
            acc.add(s, cls, w, cls < 0 ? Acc(0) : log_sum - Io::load(xs[cls * p.d]));
        }
    }
    acc.finish();
}

}  // namespace kernels
}  // namespace kiln
