// The spectral kernels and ops against a naive DFT in double: known signals, FFT and direct paths over odd
// and power-of-two lengths, inverse round trips, padding and truncation, onesided outputs, STFT frames;
// windows and the mel matrix against hand-computed values; errors; and generated code run by `kiln check`.
#include <cmath>
#include <complex>
#include <random>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/spectral.h"
#include "backends/portable/kernels/spectral_windows.h"
#include "eval/evaluator.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

using Cd = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

// X[k] = sum_j x[j] exp(-+2*pi*i*jk/n) (/ n when inverse), x zero-padded or truncated to n.
std::vector<Cd> naive_dft(const std::vector<Cd>& x, int64_t n, bool inverse) {
    std::vector<Cd> y(static_cast<std::size_t>(n));
    const double sign = inverse ? 1.0 : -1.0;
    for (int64_t k = 0; k < n; ++k) {
        Cd acc = 0;
        for (int64_t j = 0; j < n && j < int64_t(x.size()); ++j)
            acc += x[std::size_t(j)] * std::polar(1.0, sign * 2.0 * kPi * double((j * k) % n) / double(n));
        y[std::size_t(k)] = inverse ? acc / double(n) : acc;
    }
    return y;
}

std::vector<Cd> random_signal(int64_t n, bool complex, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<Cd> x(static_cast<std::size_t>(n));
    for (Cd& v : x) v = Cd(u(rng), complex ? u(rng) : 0.0);
    return x;
}

kernels::DftShape dft_shape(int64_t n, bool onesided, bool complex, bool inverse, bool fft) {
    return kernels::DftShape{n, onesided ? n / 2 + 1 : n, int32_t(complex), int32_t(inverse), int32_t(fft)};
}

bool is_pow2(int64_t n) { return n >= 2 && (n & (n - 1)) == 0; }

// One line through kernels::dft with element type T; the result as complex doubles.
template <typename T>
std::vector<Cd> run_dft(const std::vector<Cd>& x, const kernels::DftShape& s) {
    const int64_t c = s.in_complex ? 2 : 1;
    std::vector<T> in(x.size() * std::size_t(c));
    for (std::size_t j = 0; j < x.size(); ++j) {
        in[j * std::size_t(c)] = T(x[j].real());
        if (s.in_complex) in[j * 2 + 1] = T(x[j].imag());
    }
    std::vector<T> tw(std::size_t(2 * kernels::dft_twiddle_count(s)) + 2);
    kernels::dft_twiddles(tw.data(), s.n, kernels::dft_twiddle_count(s));
    std::vector<T> out(std::size_t(2 * s.out_len));
    kernels::dft(in.data(), tw.data(), out.data(), kernels::DftParams{1, int64_t(x.size()), 1, s});
    std::vector<Cd> y;
    for (int64_t k = 0; k < s.out_len; ++k) y.push_back(Cd(out[std::size_t(2 * k)], out[std::size_t(2 * k + 1)]));
    return y;
}

// Every bin of `got` within tol * (1 + |want|) of `want` (its first got.size() bins).
void require_close(const std::vector<Cd>& got, const std::vector<Cd>& want, double tol) {
    REQUIRE(got.size() <= want.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
        INFO("bin " << k << ": got " << got[k] << ", want " << want[k]);
        CHECK(std::abs(got[k] - want[k]) <= tol * (1.0 + std::abs(want[k])));
    }
}

Graph import_inferred(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

std::string infer_error(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

// A float tensor of shape [..., 2] from complex values.
Tensor complex_tensor(Shape shape, const std::vector<Cd>& v) {
    std::vector<float> f;
    for (const Cd& c : v) {
        f.push_back(float(c.real()));
        f.push_back(float(c.imag()));
    }
    return float_tensor(std::move(shape), f);
}

std::vector<Cd> complex_values(const Tensor& t, int64_t begin, int64_t count, int64_t stride) {
    std::vector<Cd> v;
    for (int64_t k = 0; k < count; ++k) {
        const float* p = t.data<float>() + 2 * (begin + k * stride);
        v.push_back(Cd(p[0], p[1]));
    }
    return v;
}

}  // namespace

TEST_CASE("DFT of an impulse, a constant and a cosine", "[ops][spectral]") {
    for (int64_t n : {6, 8}) {
        INFO("n = " << n);
        const bool fft = is_pow2(n);
        const std::size_t un = std::size_t(n);
        std::vector<Cd> impulse(un, 0.0), constant(un, 1.0), cosine(un, 0.0);
        impulse[0] = 1.0;
        for (int64_t j = 0; j < n; ++j) cosine[std::size_t(j)] = std::cos(2.0 * kPi * 2.0 * double(j) / double(n));
        std::vector<Cd> ones(un, 1.0), dc(un, 0.0), peaks(un, 0.0);
        dc[0] = double(n);
        peaks[2] = peaks[std::size_t(n - 2)] = double(n) / 2;
        require_close(run_dft<float>(impulse, dft_shape(n, false, false, false, fft)), ones, 1e-6);
        require_close(run_dft<float>(constant, dft_shape(n, false, false, false, fft)), dc, 1e-6);
        require_close(run_dft<double>(cosine, dft_shape(n, false, false, false, fft)), peaks, 1e-12);
        require_close(run_dft<double>(cosine, dft_shape(n, true, false, false, fft)), peaks, 1e-12);
    }
}

TEST_CASE("FFT and direct DFT match the definition for odd and power-of-two lengths", "[ops][spectral]") {
    uint32_t seed = 1;
    for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 31, 32, 64}) {
        for (bool complex : {false, true})
            for (bool onesided : {false, true})
                for (bool inverse : {false, true}) {
                    INFO("n=" << n << " complex=" << complex << " onesided=" << onesided << " inverse=" << inverse);
                    const std::vector<Cd> x = random_signal(n, complex, seed++);
                    const std::vector<Cd> want = naive_dft(x, n, inverse);
                    require_close(run_dft<double>(x, dft_shape(n, onesided, complex, inverse, false)), want, 1e-12);
                    require_close(run_dft<float>(x, dft_shape(n, onesided, complex, inverse, false)), want, 1e-5);
                    if (is_pow2(n) && (!onesided || !complex)) {  // the cases the compiler gives the FFT
                        require_close(run_dft<double>(x, dft_shape(n, onesided, complex, inverse, true)), want, 1e-12);
                        require_close(run_dft<float>(x, dft_shape(n, onesided, complex, inverse, true)), want, 1e-5);
                    }
                }
    }
}

TEST_CASE("an inverse DFT undoes the forward one", "[ops][spectral]") {
    for (int64_t n : {5, 8, 13, 64, 100}) {
        INFO("n = " << n);
        const bool fft = is_pow2(n);
        const std::vector<Cd> x = random_signal(n, true, uint32_t(n));
        const std::vector<Cd> spectrum = run_dft<double>(x, dft_shape(n, false, true, false, fft));
        require_close(run_dft<double>(spectrum, dft_shape(n, false, true, true, fft)), x, 1e-12);
        const std::vector<Cd> spectrum_f = run_dft<float>(x, dft_shape(n, false, true, false, fft));
        require_close(run_dft<float>(spectrum_f, dft_shape(n, false, true, true, fft)), x, 1e-5);
    }
}

TEST_CASE("DFT op: axis, dft_length padding and truncation, onesided", "[ops][spectral]") {
    // x: [2, 5, 3, 1] real, transformed along axis 1 (or -3) with dft_length 8 (pads), 4 (truncates) or 5.
    struct Case {
        int64_t axis, length;
        bool onesided, inverse;
    };
    for (Case cs : {Case{1, 8, false, false}, Case{-3, 4, true, false}, Case{1, 5, true, true}, Case{1, 0, false, true}}) {
        INFO("axis " << cs.axis << " dft_length " << cs.length << " onesided " << cs.onesided);
        onnx::ModelProto m = make_model(17);
        add_input(m, "x", kFloat, {2, 5, 3, 1});
        std::vector<std::string> ins = {"x"};
        if (cs.length > 0) {
            add_initializer(m, int64_tensor("len", {}, {cs.length}));
            ins.push_back("len");
        }
        onnx::NodeProto* n = add_node(m, "DFT", ins, {"y"});
        set_int(n, "axis", cs.axis);
        set_int(n, "onesided", cs.onesided);
        set_int(n, "inverse", cs.inverse);
        add_output(m, "y", kFloat, {});
        Graph g = import_inferred(m);
        const int64_t len = cs.length > 0 ? cs.length : 5;
        const int64_t bins = cs.onesided ? len / 2 + 1 : len;
        REQUIRE(g.value(g.outputs[0]).shape == Shape{2, bins, 3, 2});
        Tensor x = random_float_tensor({2, 5, 3, 1}, 7);
        Tensor y = evaluate_ok(g, {x})[0];
        for (int64_t b = 0; b < 2; ++b)
            for (int64_t i = 0; i < 3; ++i) {
                std::vector<Cd> line;
                for (int64_t j = 0; j < 5; ++j) line.push_back(x.data<float>()[(b * 5 + j) * 3 + i]);
                require_close(complex_values(y, b * bins * 3 + i, bins, 3), naive_dft(line, len, cs.inverse), 1e-5);
            }
    }
}

TEST_CASE("STFT op: frames of a complex signal with a window", "[ops][spectral]") {
    onnx::ModelProto m = make_model(17);
    add_input(m, "signal", kFloat, {2, 20, 2});
    add_input(m, "window", kFloat, {6});
    add_initializer(m, int64_tensor("step", {}, {5}));
    add_initializer(m, int64_tensor("length", {}, {6}));
    set_int(add_node(m, "STFT", {"signal", "step", "window", "length"}, {"y"}), "onesided", 0);
    add_output(m, "y", kFloat, {});
    Graph g = import_inferred(m);
    REQUIRE(g.value(g.outputs[0]).shape == Shape{2, 3, 6, 2});  // frames at 0, 5, 10 (15 + 6 > 20)
    Tensor signal = random_float_tensor({2, 20, 2}, 3);
    Tensor window = random_float_tensor({6}, 4, 0.0f, 1.0f);
    Tensor y = evaluate_ok(g, {signal, window})[0];
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t f = 0; f < 3; ++f) {
            std::vector<Cd> frame;
            for (int64_t j = 0; j < 6; ++j) {
                const float* p = signal.data<float>() + 2 * (b * 20 + f * 5 + j);
                frame.push_back(Cd(p[0], p[1]) * double(window.data<float>()[j]));
            }
            require_close(complex_values(y, (b * 3 + f) * 6, 6, 1), naive_dft(frame, 6, false), 1e-5);
        }
}

TEST_CASE("window ops fold to the cosine-sum values", "[ops][spectral]") {
    auto window = [](const std::string& op, int64_t size, bool periodic, int dtype) {
        onnx::ModelProto m = make_model(17);
        add_initializer(m, int64_tensor("size", {}, {size}));
        onnx::NodeProto* n = add_node(m, op, {"size"}, {"w"});
        set_int(n, "periodic", periodic);
        set_int(n, "output_datatype", dtype);
        add_output(m, "w", dtype, {});
        Graph g = import_inferred(m);
        const Value& w = g.value(g.outputs[0]);
        REQUIRE(w.is_constant());
        return *w.data;
    };
    Tensor hann = window("HannWindow", 4, true, kFloat);
    CHECK(hann.shape() == Shape{4});
    const std::vector<double> hann_want = {0.0, 0.5, 1.0, 0.5};
    for (int64_t i = 0; i < 4; ++i) CHECK(hann.as_double(i) == Approx(hann_want[std::size_t(i)]).margin(1e-7));
    Tensor sym = window("HannWindow", 5, false, onnx::TensorProto::DOUBLE);
    const std::vector<double> sym_want = {0.0, 0.5, 1.0, 0.5, 0.0};
    for (int64_t i = 0; i < 5; ++i) CHECK(sym.as_double(i) == Approx(sym_want[std::size_t(i)]).margin(1e-15));
    Tensor hamming = window("HammingWindow", 3, false, kFloat);
    CHECK(hamming.as_double(0) == Approx(4.0 / 46.0));
    CHECK(hamming.as_double(1) == Approx(1.0));
    Tensor blackman = window("BlackmanWindow", 4, true, kFloat);
    CHECK(blackman.as_double(2) == Approx(1.0));
    CHECK(blackman.as_double(1) == Approx(0.42 + 0.08 * -1.0).margin(1e-7));
    Tensor one = window("HannWindow", 1, false, kFloat);
    CHECK(one.as_double(0) == 1.0);
    Tensor ints = window("HannWindow", 4, true, kInt32);
    CHECK(ints.dtype() == DType::Int32);
    CHECK(ints.as_double(2) == 1.0);  // truncated toward zero
}

TEST_CASE("MelWeightMatrix builds the reference filter bank", "[ops][spectral]") {
    // The ONNX backend test's parameters: 8 bands, dft_length 16, 8192 Hz, 0..4096 Hz.
    kernels::MelParams p{8, 16};
    std::vector<float> y(9 * 8, -1.0f);
    kernels::mel_weight_matrix(y.data(), p, 8192.0, 0.0, 4096.0, kernels::CastTo<float>{});
    // Expected (rows = spectrogram bins): bands 0 and 1 at row 0, 2 and 3 at row 1, 4 at 2, 5 at 3, 6 at 4, 7 at 5.
    const int row_of_band[8] = {0, 0, 1, 1, 2, 3, 4, 5};
    for (int j = 0; j < 9; ++j)
        for (int i = 0; i < 8; ++i) CHECK(y[std::size_t(j * 8 + i)] == (row_of_band[i] == j ? 1.0f : 0.0f));
}

TEST_CASE("spectral ops refuse what they cannot compile, naming it", "[ops][spectral]") {
    SECTION("a run-time dft_length") {
        onnx::ModelProto m = make_model(17);
        add_input(m, "x", kFloat, {1, 8, 1});
        add_input(m, "len", kInt64, {});
        add_node(m, "DFT", {"x", "len"}, {"y"});
        add_output(m, "y", kFloat, {});
        CHECK_THAT(infer_error(m), Catch::Contains("dft_length") && Catch::Contains("compile-time constant"));
    }
    SECTION("an axis on the real/imaginary dim") {
        onnx::ModelProto m = make_model(17);
        add_input(m, "x", kFloat, {1, 8, 2});
        set_int(add_node(m, "DFT", {"x"}, {"y"}), "axis", -1);
        add_output(m, "y", kFloat, {});
        CHECK_THAT(infer_error(m), Catch::Contains("axis -1 is out of range"));
    }
    SECTION("a window that is not frame_length long") {
        onnx::ModelProto m = make_model(17);
        add_input(m, "signal", kFloat, {1, 32, 1});
        add_input(m, "window", kFloat, {8});
        add_initializer(m, int64_tensor("step", {}, {4}));
        add_initializer(m, int64_tensor("length", {}, {16}));
        add_node(m, "STFT", {"signal", "step", "window", "length"}, {"y"});
        add_output(m, "y", kFloat, {});
        CHECK_THAT(infer_error(m), Catch::Contains("window length 8 differs from frame_length 16"));
    }
    SECTION("mel edges past the Nyquist frequency") {
        onnx::ModelProto m = make_model(17);
        add_initializer(m, int64_tensor("bands", {}, {4}));
        add_initializer(m, int64_tensor("n", {}, {16}));
        add_initializer(m, int64_tensor("rate", {}, {8000}));
        add_initializer(m, raw_float_tensor("lo", {}, {0}));
        add_initializer(m, raw_float_tensor("hi", {}, {8000}));
        add_node(m, "MelWeightMatrix", {"bands", "n", "rate", "lo", "hi"}, {"w"});
        add_output(m, "w", kFloat, {});
        CHECK_THAT(infer_error(m), Catch::Contains("outside 0..8"));
    }
}

TEST_CASE("generated DFT and STFT code matches the naive DFT", "[ops][spectral][slow]") {
    TempDir dir;
    // y = DFT(x) along axis 2 of a complex [1, 3, 12, 2] input, inverse, padded to 16 (the FFT);
    // z = STFT(s) of a real signal with frames of 9 (the direct DFT), onesided.
    onnx::ModelProto m = make_model(17);
    add_input(m, "x", kFloat, {1, 3, 12, 2});
    add_input(m, "s", kFloat, {2, 30, 1});
    add_initializer(m, int64_tensor("len", {}, {16}));
    add_initializer(m, int64_tensor("step", {}, {7}));
    add_initializer(m, int64_tensor("frame", {}, {9}));
    onnx::NodeProto* n = add_node(m, "DFT", {"x", "len"}, {"y"});
    set_int(n, "axis", 2);
    set_int(n, "inverse", 1);
    add_node(m, "STFT", {"s", "step", "", "frame"}, {"z"});
    add_output(m, "y", kFloat, {1, 3, 16, 2});
    add_output(m, "z", kFloat, {2, 4, 5, 2});
    write_model(m, dir.file("model.onnx"));

    const std::vector<Cd> xs = random_signal(36, true, 11);
    const std::vector<Cd> ss = random_signal(60, false, 12);
    std::vector<Cd> y, z;
    for (int64_t r = 0; r < 3; ++r) {
        std::vector<Cd> line(xs.begin() + r * 12, xs.begin() + r * 12 + 12);
        for (const Cd& v : naive_dft(line, 16, true)) y.push_back(v);
    }
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t f = 0; f < 4; ++f) {
            std::vector<Cd> frame(ss.begin() + b * 30 + f * 7, ss.begin() + b * 30 + f * 7 + 9);
            std::vector<Cd> bins = naive_dft(frame, 9, false);
            z.insert(z.end(), bins.begin(), bins.begin() + 5);
        }
    std::vector<float> s_real;
    for (const Cd& v : ss) s_real.push_back(float(v.real()));
    write_data_set(dir.file("test_data_set_0"), {complex_tensor({1, 3, 12, 2}, xs), float_tensor({2, 30, 1}, s_real)},
                   {complex_tensor({1, 3, 16, 2}, y), complex_tensor({2, 4, 5, 2}, z)});
    CommandResult r = run_kiln({"check", dir.file("model.onnx"), "--work-dir", dir.file("work")});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
}
