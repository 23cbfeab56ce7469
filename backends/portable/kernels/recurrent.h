// Recurrent layers: ONNX RNN, GRU and LSTM over a whole sequence, in every direction. Batch rows are
// independent recurrences, so each row runs alone: its hidden/cell state and gate pre-activations live
// in a scratch buffer of rnn_workspace_elems() elements that the caller provides (an arena slice).
// Gate rows of W and R are contiguous, so every gate is two dot products over contiguous memory.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "gemm.h"

namespace kiln {
namespace kernels {

// The functions of the ONNX `activations` attribute.
enum RnnActivationKind : int32_t {
    kRnnSigmoid = 0,
    kRnnTanh = 1,
    kRnnRelu = 2,
    kRnnHardSigmoid = 3,
    kRnnAffine = 4,
    kRnnLeakyRelu = 5,
    kRnnThresholdedRelu = 6,
    kRnnScaledTanh = 7,
    kRnnElu = 8,
    kRnnSoftsign = 9,
    kRnnSoftplus = 10,
};

struct RnnActivation {
    int32_t kind;
    float alpha, beta;
};

// Shapes follow ONNX: W [dirs, gates*hidden, input], R [dirs, gates*hidden, hidden], B [dirs, 2*gates*hidden]
// (W biases then R biases), P [dirs, 3*hidden]. layout=0: X [seq, batch, input], Y [seq, dirs, batch, hidden],
// states [dirs, batch, hidden]; layout=1 (batch_major): X [batch, seq, input], Y [batch, seq, dirs, hidden],
// states [batch, dirs, hidden].
struct RnnParams {
    int64_t seq_length, batch, input_size, hidden;
    int32_t num_directions;
    int32_t reverse;      // with one direction: it runs from the end of each sequence (direction="reverse")
    int32_t batch_major;  // layout=1
    int32_t has_clip;
    float clip;                   // with has_clip, every activation input is clamped to [-clip, clip]
    int32_t linear_before_reset;  // GRU: apply R_h before multiplying by the reset gate
    int32_t input_forget;         // LSTM: couple the gates, f = 1 - i
    RnnActivation act[2][3];      // per direction: f, g, h (as many as the cell uses)
};

// Scratch elements one call needs: hidden state, cell state, the gate pre-activations and one more
// row of hidden for the cell's temporaries.
inline int64_t rnn_workspace_elems(int64_t gates, int64_t hidden) { return (gates + 3) * hidden; }

template <typename T>
inline void rnn_activate(const RnnActivation& a, T* v, int64_t n) {
    const T alpha = T(a.alpha), beta = T(a.beta);
    switch (a.kind) {
    case kRnnSigmoid:
        for (int64_t i = 0; i < n; ++i) v[i] = T(1) / (T(1) + std::exp(-v[i]));
        break;
    case kRnnTanh:
        for (int64_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]);
        break;
    case kRnnRelu:
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] > T(0) ? v[i] : T(0);
        break;
    case kRnnHardSigmoid:
        for (int64_t i = 0; i < n; ++i) {
            const T s = alpha * v[i] + beta;
            v[i] = s < T(0) ? T(0) : (s > T(1) ? T(1) : s);
        }
        break;
    case kRnnAffine:
        for (int64_t i = 0; i < n; ++i) v[i] = alpha * v[i] + beta;
        break;
    case kRnnLeakyRelu:
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] < T(0) ? alpha * v[i] : v[i];
        break;
    case kRnnThresholdedRelu:
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] > alpha ? v[i] : T(0);
        break;
    case kRnnScaledTanh:
        for (int64_t i = 0; i < n; ++i) v[i] = alpha * std::tanh(beta * v[i]);
        break;
    case kRnnElu:
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] < T(0) ? alpha * (std::exp(v[i]) - T(1)) : v[i];
        break;
    case kRnnSoftsign:
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] / (T(1) + std::fabs(v[i]));
        break;
    case kRnnSoftplus:  // log(1 + e^x) without overflow for large x
        for (int64_t i = 0; i < n; ++i)
            v[i] = v[i] > T(0) ? v[i] + std::log1p(std::exp(-v[i])) : std::log1p(std::exp(v[i]));
        break;
    default: break;
    }
}

// Clip (when asked), then the activation: ONNX clips the input of every activation.
template <typename T>
inline void rnn_clip_activate(const RnnParams& p, const RnnActivation& a, T* v, int64_t n) {
    if (p.has_clip) {
        const T c = T(p.clip);
        for (int64_t i = 0; i < n; ++i) v[i] = v[i] < -c ? -c : (v[i] > c ? c : v[i]);
    }
    rnn_activate(a, v, n);
}

// g[j] = W[j] . x + R[j] . h + Wb[j] + Rb[j] for rows [0, rows) of one direction's W and R.
template <typename T>
inline void rnn_gate_inputs(const T* w, const T* r, const T* wb, const T* rb, const T* x, const T* h, T* g,
                            int64_t rows, int64_t input_size, int64_t hidden) {
    for (int64_t j = 0; j < rows; ++j) {
        T v = dot(w + j * input_size, 1, x, input_size) + dot(r + j * hidden, 1, h, hidden);
        if (wb) v += wb[j] + rb[j];
        g[j] = v;
    }
}

// Runs `step(direction, x_t, h, c, scratch)` over every direction and batch row, in each row's own order
// (reverse starts at its last valid step), and writes Y, Y_h, Y_c. Steps past a row's sequence length
// are zero in Y; a row of length 0 has zero final states.
template <typename T, typename Step>
inline void rnn_sequence(const T* x, const int32_t* seq_lens, const T* init_h, const T* init_c, T* y, T* y_h,
                         T* y_c, T* work, const RnnParams& p, Step step) {
    const int64_t S = p.seq_length, N = p.batch, H = p.hidden, D = p.num_directions;
    T* h = work;
    T* c = work + H;
    T* scratch = work + 2 * H;
    for (int64_t d = 0; d < D; ++d) {
        const bool backward = D == 2 ? d == 1 : p.reverse != 0;
        for (int64_t b = 0; b < N; ++b) {
            int64_t len = S;
            if (seq_lens) len = seq_lens[b] < 0 ? 0 : (seq_lens[b] > S ? S : int64_t(seq_lens[b]));
            const int64_t state = (p.batch_major ? b * D + d : d * N + b) * H;
            for (int64_t j = 0; j < H; ++j) {
                h[j] = init_h ? init_h[state + j] : T(0);
                c[j] = init_c ? init_c[state + j] : T(0);
            }
            for (int64_t s = 0; s < S; ++s) {
                const int64_t t = backward ? len - 1 - s : s;
                const int64_t yt = s < len ? t : s;  // the Y step this iteration writes
                T* yrow = y ? y + (p.batch_major ? (b * S + yt) * D + d : (yt * D + d) * N + b) * H : nullptr;
                if (s >= len) {
                    if (yrow)
                        for (int64_t j = 0; j < H; ++j) yrow[j] = T(0);
                    continue;
                }
                step(d, x + (p.batch_major ? b * S + t : t * N + b) * p.input_size, h, c, scratch);
                if (yrow)
                    for (int64_t j = 0; j < H; ++j) yrow[j] = h[j];
            }
            for (int64_t j = 0; j < H; ++j) {
                if (y_h) y_h[state + j] = len > 0 ? h[j] : T(0);
                if (y_c) y_c[state + j] = len > 0 ? c[j] : T(0);
            }
        }
    }
}

// Ht = f(Xt*Wi^T + Ht-1*Ri^T + Wbi + Rbi)
template <typename T>
inline void rnn(const T* x, const T* w, const T* r, const T* b, const int32_t* seq_lens, const T* init_h, T* y,
                T* y_h, T* work, const RnnParams& p) {
    const int64_t H = p.hidden, I = p.input_size;
    rnn_sequence(x, seq_lens, init_h, static_cast<const T*>(nullptr), y, y_h, static_cast<T*>(nullptr), work, p,
                 [&](int64_t d, const T* xt, T* h, T*, T* g) {
                     const T* wb = b ? b + d * 2 * H : nullptr;
                     rnn_gate_inputs(w + d * H * I, r + d * H * H, wb, wb ? wb + H : nullptr, xt, h, g, H, I, H);
                     rnn_clip_activate(p, p.act[d][0], g, H);
                     for (int64_t j = 0; j < H; ++j) h[j] = g[j];
                 });
}

// Gates z, r, h (in that order in W, R, B):
//   zt = f(Xt*Wz^T + Ht-1*Rz^T + Wbz + Rbz),  rt = f(Xt*Wr^T + Ht-1*Rr^T + Wbr + Rbr)
//   ht = g(Xt*Wh^T + (rt . Ht-1)*Rh^T + Rbh + Wbh)          linear_before_reset = 0
//   ht = g(Xt*Wh^T + rt . (Ht-1*Rh^T + Rbh) + Wbh)          linear_before_reset = 1
//   Ht = (1 - zt) . ht + zt . Ht-1
template <typename T>
inline void gru(const T* x, const T* w, const T* r, const T* b, const int32_t* seq_lens, const T* init_h, T* y,
                T* y_h, T* work, const RnnParams& p) {
    const int64_t H = p.hidden, I = p.input_size;
    rnn_sequence(x, seq_lens, init_h, static_cast<const T*>(nullptr), y, y_h, static_cast<T*>(nullptr), work, p,
                 [&](int64_t d, const T* xt, T* h, T*, T* g) {
                     const T* wd = w + d * 3 * H * I;
                     const T* rd = r + d * 3 * H * H;
                     const T* wb = b ? b + d * 6 * H : nullptr;
                     const T* rb = wb ? wb + 3 * H : nullptr;
                     T* z = g;
                     T* rs = g + H;
                     T* hh = g + 2 * H;
                     T* tmp = g + 3 * H;
                     rnn_gate_inputs(wd, rd, wb, rb, xt, h, g, 2 * H, I, H);
                     rnn_clip_activate(p, p.act[d][0], g, 2 * H);
                     const T* wh = wd + 2 * H * I;
                     const T* rh = rd + 2 * H * H;
                     if (!p.linear_before_reset)
                         for (int64_t j = 0; j < H; ++j) tmp[j] = rs[j] * h[j];
                     for (int64_t j = 0; j < H; ++j) {
                         T v = dot(wh + j * I, 1, xt, I) + (wb ? wb[2 * H + j] : T(0));
                         const T rbh = rb ? rb[2 * H + j] : T(0);
                         if (p.linear_before_reset)
                             v += rs[j] * (dot(rh + j * H, 1, h, H) + rbh);
                         else
                             v += dot(rh + j * H, 1, tmp, H) + rbh;
                         hh[j] = v;
                     }
                     rnn_clip_activate(p, p.act[d][1], hh, H);
                     for (int64_t j = 0; j < H; ++j) h[j] = (T(1) - z[j]) * hh[j] + z[j] * h[j];
                 });
}

// Gates i, o, f, c (in that order in W, R, B; peepholes P in order i, o, f):
//   it = f(Xt*Wi^T + Ht-1*Ri^T + Pi . Ct-1 + Wbi + Rbi)
//   ft = f(Xt*Wf^T + Ht-1*Rf^T + Pf . Ct-1 + Wbf + Rbf)      (1 - it with input_forget)
//   ct = g(Xt*Wc^T + Ht-1*Rc^T + Wbc + Rbc)
//   Ct = ft . Ct-1 + it . ct
//   ot = f(Xt*Wo^T + Ht-1*Ro^T + Po . Ct + Wbo + Rbo)
//   Ht = ot . h(Ct)
template <typename T>
inline void lstm(const T* x, const T* w, const T* r, const T* b, const int32_t* seq_lens, const T* init_h,
                 const T* init_c, const T* peep, T* y, T* y_h, T* y_c, T* work, const RnnParams& p) {
    const int64_t H = p.hidden, I = p.input_size;
    rnn_sequence(x, seq_lens, init_h, init_c, y, y_h, y_c, work, p, [&](int64_t d, const T* xt, T* h, T* c, T* g) {
        const T* wb = b ? b + d * 8 * H : nullptr;
        rnn_gate_inputs(w + d * 4 * H * I, r + d * 4 * H * H, wb, wb ? wb + 4 * H : nullptr, xt, h, g, 4 * H, I, H);
        T* gi = g;
        T* go = g + H;
        T* gf = g + 2 * H;
        T* gc = g + 3 * H;
        T* hc = g + 4 * H;
        const T* pd = peep ? peep + d * 3 * H : nullptr;
        if (pd)
            for (int64_t j = 0; j < H; ++j) {
                gi[j] += pd[j] * c[j];
                gf[j] += pd[2 * H + j] * c[j];
            }
        const RnnActivation* act = p.act[d];
        rnn_clip_activate(p, act[0], gi, H);
        if (p.input_forget) {
            for (int64_t j = 0; j < H; ++j) gf[j] = T(1) - gi[j];
        } else {
            rnn_clip_activate(p, act[0], gf, H);
        }
        rnn_clip_activate(p, act[1], gc, H);
        for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * c[j] + gi[j] * gc[j];
        if (pd)
            for (int64_t j = 0; j < H; ++j) go[j] += pd[H + j] * c[j];
        rnn_clip_activate(p, act[0], go, H);
        // h() takes the cell state unclipped: the clip bounds gate inputs, not the memory.
        for (int64_t j = 0; j < H; ++j) hc[j] = c[j];
        rnn_activate(act[2], hc, H);
        for (int64_t j = 0; j < H; ++j) h[j] = go[j] * hc[j];
    });
}

}  // namespace kernels
}  // namespace kiln
