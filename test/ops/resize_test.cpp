// Resize and Upsample: tap tables against hand-computed coordinates, the evaluator against a direct port
// of the ONNX reference implementation (interpolate_nd in onnx/backend/test/case/node/resize.py) over odd
// shapes and every mode, and the errors for what Kiln cannot compile.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include <catch2/catch.hpp>

#include "ops/resize_plan.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

ResizeAxis axis_sizes(int64_t in, int64_t out) {
    ResizeAxis a;
    a.in = in;
    a.out = out;
    a.scale = double(out) / double(in);
    a.resized = double(out);
    return a;
}

ResizeAxis axis_scale(int64_t in, float scale) {
    ResizeAxis a;
    a.in = in;
    a.scale = double(scale);
    a.resized = double(in) * a.scale;
    a.out = int64_t(std::floor(a.resized));
    return a;
}

ResizeMethod method(ResizeMode mode, ResizeCoord coord, ResizeRounding r = ResizeRounding::RoundPreferFloor) {
    ResizeMethod m;
    m.mode = mode;
    m.coord = coord;
    m.rounding = r;
    return m;
}

// ---- the ONNX reference, ported -------------------------------------------------------------------

struct RefOptions {
    std::string mode = "nearest", coord = "half_pixel", nearest = "round_prefer_floor";
    double cubic_a = -0.75, extrapolation = 0.0;
    bool exclude_outside = false;
};

std::vector<double> ref_coeffs(const RefOptions& o, double ratio) {
    if (o.mode == "linear") return {1 - ratio, ratio};
    if (o.mode == "cubic") {
        const double a = o.cubic_a, r = ratio, s = 1 - ratio;
        return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
                ((a + 2) * s - (a + 3)) * s * s + 1, ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
    }
    if (ratio == std::floor(ratio)) return {0, 1};
    if (o.nearest == "round_prefer_floor") return {double(ratio <= 0.5), double(ratio > 0.5)};
    if (o.nearest == "round_prefer_ceil") return {double(ratio < 0.5), double(ratio >= 0.5)};
    if (o.nearest == "floor") return {1, 0};
    return {0, 1};
}

// interpolate_1d_with_x: `data` is one line of values; roi_start/end for tf_crop_and_resize.
double ref_interpolate_1d(const std::vector<double>& data, double scale, double resized, double x, const RefOptions& o,
                          double roi_start, double roi_end) {
    const double in = double(data.size());
    // Kiln's two deliberate departures from the reference: a dim of scale 1 is left alone (only
    // tf_half_pixel_for_nn would move it), and coordinates within float noise of a multiple of 1/2 snap to it.
    if (scale == 1 && o.coord != "tf_crop_and_resize") return data[std::size_t(x)];
    double xo = 0;
    if (o.coord == "align_corners") xo = resized == 1 ? 0 : x * (in - 1) / (resized - 1);
    else if (o.coord == "asymmetric") xo = x / scale;
    else if (o.coord == "tf_half_pixel_for_nn") xo = (x + 0.5) / scale;
    else if (o.coord == "pytorch_half_pixel") xo = resized == 1 ? 0 : (x + 0.5) / scale - 0.5;  // the spec's 0
    else if (o.coord == "half_pixel") xo = (x + 0.5) / scale - 0.5;
    else {
        xo = resized == 1 ? (roi_end - roi_start) * (in - 1) / 2 : x * (roi_end - roi_start) * (in - 1) / (resized - 1);
        xo += roi_start * (in - 1);
    }
    const double half = std::round(2 * xo) / 2;
    if (std::fabs(xo - half) <= 1e-6 * std::max(1.0, std::fabs(xo))) xo = half;
    if (o.coord == "tf_crop_and_resize" && (xo < 0 || xo > in - 1)) return o.extrapolation;
    const double xi = std::floor(xo);
    const double ratio = xo == xi ? 1.0 : xo - xi;
    std::vector<double> c = ref_coeffs(o, ratio);
    const int n = int(c.size());
    // get_neighbor: the n nearest indexes of an edge-padded copy, ties to the smaller index.
    const int pad = (n + 1) / 2;
    const int limit = int(data.size()) + 2 * pad;
    std::vector<int> idx(static_cast<std::size_t>(limit));
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int a, int b) { return std::fabs(xo + pad - a) < std::fabs(xo + pad - b); });
    idx.resize(std::size_t(n));
    std::sort(idx.begin(), idx.end());
    if (o.exclude_outside) {
        double sum = 0;
        for (int k = 0; k < n; ++k) {
            if (idx[std::size_t(k)] - pad < 0 || idx[std::size_t(k)] - pad >= int(data.size())) c[std::size_t(k)] = 0;
            sum += c[std::size_t(k)];
        }
        for (double& v : c) v /= sum;
    }
    double r = 0;
    for (int k = 0; k < n; ++k) {
        const int i = std::min(std::max(idx[std::size_t(k)] - pad, 0), int(data.size()) - 1);
        r += c[std::size_t(k)] * data[std::size_t(i)];
    }
    return r;
}

// interpolate_nd_with_x over a row-major tensor: the outermost dim interpolates the results of the inner ones.
double ref_interpolate_nd(const std::vector<double>& x, const Shape& shape, std::size_t dim, int64_t offset,
                          const std::vector<double>& scale, const std::vector<double>& resized,
                          const std::vector<int64_t>& at, const RefOptions& o, const std::vector<double>& roi) {
    const std::size_t rank = shape.size();
    int64_t stride = 1;
    for (std::size_t d = dim + 1; d < rank; ++d) stride *= shape[d];
    std::vector<double> line;
    for (int64_t i = 0; i < shape[dim]; ++i) {
        line.push_back(dim + 1 == rank ? x[std::size_t(offset + i)]
                                       : ref_interpolate_nd(x, shape, dim + 1, offset + i * stride, scale, resized, at,
                                                            o, roi));
    }
    const double start = roi.empty() ? 0 : roi[dim], end = roi.empty() ? 1 : roi[dim + rank];
    return ref_interpolate_1d(line, scale[dim], resized[dim], double(at[dim]), o, start, end);
}

// One Resize-13 node with constant scales or sizes (and roi), evaluated by Kiln, against the port above.
void check_against_reference(const Shape& in, const std::vector<float>& scales, const std::vector<int64_t>& sizes,
                             const RefOptions& o, const std::vector<float>& roi = {}) {
    onnx::ModelProto m = make_model(13);
    std::vector<Dim> dims(in.begin(), in.end());
    add_input(m, "x", kFloat, dims);
    if (!roi.empty()) add_initializer(m, raw_float_tensor("roi", {int64_t(roi.size())}, roi));
    if (!scales.empty()) add_initializer(m, raw_float_tensor("scales", {int64_t(scales.size())}, scales));
    if (!sizes.empty()) add_initializer(m, int64_tensor("sizes", {int64_t(sizes.size())}, sizes));
    onnx::NodeProto* n = add_node(m, "Resize", {"x", roi.empty() ? "" : "roi", scales.empty() ? "" : "scales",
                                                sizes.empty() ? "" : "sizes"}, {"y"});
    auto attr = [&](const char* name, const std::string& v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(v);
    };
    auto fattr = [&](const char* name, float v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    };
    attr("mode", o.mode);
    attr("coordinate_transformation_mode", o.coord);
    attr("nearest_mode", o.nearest);
    fattr("cubic_coeff_a", float(o.cubic_a));
    fattr("extrapolation_value", float(o.extrapolation));
    auto* ex = n->add_attribute();
    ex->set_name("exclude_outside");
    ex->set_type(onnx::AttributeProto::INT);
    ex->set_i(o.exclude_outside ? 1 : 0);
    add_output(m, "y", kFloat, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Graph graph = inferred(std::move(*g));
    Tensor x = random_float_tensor(in, 11);
    Tensor y = evaluate_ok(graph, {x})[0];

    const std::size_t rank = in.size();
    std::vector<double> scale(rank), resized(rank);
    Shape out(rank);
    for (std::size_t d = 0; d < rank; ++d) {
        if (!scales.empty()) {
            scale[d] = double(scales[d]);
            resized[d] = double(in[d]) * scale[d];
            out[d] = int64_t(std::floor(float(in[d]) * scales[d]));  // in float, as ONNX shape inference does
        } else {
            out[d] = sizes[d];
            scale[d] = double(sizes[d]) / double(in[d]);
            resized[d] = double(sizes[d]);
        }
    }
    REQUIRE(y.shape() == out);
    std::vector<double> xd(x.data<float>(), x.data<float>() + x.numel());
    std::vector<double> roid(roi.begin(), roi.end());
    std::vector<int64_t> at(rank, 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
        int64_t rem = i;
        for (std::size_t d = rank; d-- > 0;) {
            at[d] = rem % out[d];
            rem /= out[d];
        }
        const double want = ref_interpolate_nd(xd, in, 0, 0, scale, resized, at, o, roid);
        INFO(o.mode << " " << o.coord << " " << o.nearest << " a=" << o.cubic_a << " exclude=" << o.exclude_outside
                    << " output " << i << " of " << shape_str(out));
        CHECK(double(y.data<float>()[i]) == Approx(want).margin(1e-5).epsilon(1e-5));
    }
}

std::string resize_error(int opset, const std::string& mode, bool scales_as_input, int elem = kFloat) {
    onnx::ModelProto m = make_model(opset);
    add_input(m, "x", elem, {1, 1, 3, 3});
    if (scales_as_input) add_input(m, "scales", kFloat, {4});
    else add_initializer(m, raw_float_tensor("scales", {4}, {1, 1, 2, 2}));
    std::vector<std::string> inputs = {"x", "", "scales"};
    if (opset < 11) inputs = {"x", "scales"};
    onnx::NodeProto* n = add_node(m, "Resize", inputs, {"y"}, "r");
    auto* a = n->add_attribute();
    a->set_name("mode");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(mode);
    add_output(m, "y", elem, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

}  // namespace

TEST_CASE("nearest tables follow each rounding mode", "[ops][resize]") {
    // half_pixel 2 -> 4: x_original = -0.25, 0.25, 0.75, 1.25.
    AxisTaps t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::HalfPixel), axis_sizes(2, 4));
    CHECK(t.taps == 1);
    CHECK(t.first == std::vector<int32_t>{0, 0, 1, 1});
    // asymmetric 2 -> 5 (scale 2.5): 0, 0.4, 0.8, 1.2, 1.6 (the last clamps).
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::Asymmetric, ResizeRounding::RoundPreferCeil),
                         axis_sizes(2, 5));
    CHECK(t.first == std::vector<int32_t>{0, 0, 1, 1, 1});
    // asymmetric 4 -> 8: 0, 0.5, 1, 1.5 ...: ties go down or up by mode.
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::Asymmetric), axis_sizes(4, 8));
    CHECK(t.first == std::vector<int32_t>{0, 0, 1, 1, 2, 2, 3, 3});
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::Asymmetric, ResizeRounding::RoundPreferCeil),
                         axis_sizes(4, 8));
    CHECK(t.first == std::vector<int32_t>{0, 1, 1, 2, 2, 3, 3, 3});
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::AlignCorners, ResizeRounding::Ceil),
                         axis_sizes(3, 4));
    CHECK(t.first == std::vector<int32_t>{0, 1, 2, 2});  // 0, 2/3, 4/3, 2
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::TfHalfPixelForNN, ResizeRounding::Floor),
                         axis_sizes(4, 3));
    CHECK(t.first == std::vector<int32_t>{0, 2, 3});  // 2/3, 2, 10/3
    // Upsample / Resize-10: floor when upsampling, ceil when downsampling (scale 0.6: 0, 1.67, 3.33).
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::Asymmetric, ResizeRounding::Simple),
                         axis_scale(5, 0.6f));
    CHECK(t.first == std::vector<int32_t>{0, 2, 4});
    t = resize_axis_taps(method(ResizeMode::Nearest, ResizeCoord::Asymmetric, ResizeRounding::Simple),
                         axis_scale(2, 2.5f));
    CHECK(t.first == std::vector<int32_t>{0, 0, 0, 1, 1});
}

TEST_CASE("linear tables clamp and merge taps at the edges", "[ops][resize]") {
    // half_pixel 3 -> 5: x_original = -0.2, 0.4, 1.0, 1.6, 2.2.
    AxisTaps t = resize_axis_taps(method(ResizeMode::Linear, ResizeCoord::HalfPixel), axis_sizes(3, 5));
    REQUIRE(t.taps == 2);
    CHECK(t.first == std::vector<int32_t>{0, 0, 1, 1, 1});
    const std::vector<float> want = {1, 0, 0.6f, 0.4f, 1, 0, 0.4f, 0.6f, 0, 1};
    REQUIRE(t.weight.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(t.weight[i] == Approx(want[i]).margin(1e-6));
    // align_corners 2 -> 3 at 0, 0.5, 1; a dim of size 1 needs one tap.
    t = resize_axis_taps(method(ResizeMode::Linear, ResizeCoord::AlignCorners), axis_sizes(1, 3));
    CHECK(t.taps == 1);
    CHECK(t.first == std::vector<int32_t>{0, 0, 0});
    // Integer upsampling with align_corners lands on input elements only at the ends.
    t = resize_axis_taps(method(ResizeMode::Linear, ResizeCoord::AlignCorners), axis_sizes(3, 3));
    CHECK(t.taps == 1);  // x_original = o: a gather
    CHECK(t.identity(3));
}

TEST_CASE("cubic tables sum to one and exclude_outside drops outside taps", "[ops][resize]") {
    ResizeMethod m = method(ResizeMode::Cubic, ResizeCoord::HalfPixel);
    for (bool exclude : {false, true}) {
        m.exclude_outside = exclude;
        AxisTaps t = resize_axis_taps(m, axis_sizes(5, 9));
        REQUIRE(t.taps == 4);
        for (std::size_t o = 0; o < t.first.size(); ++o) {
            double sum = 0;
            for (int k = 0; k < 4; ++k) sum += t.weight[o * 4 + std::size_t(k)];
            CHECK(sum == Approx(1.0).margin(1e-6));
            CHECK(t.first[o] >= 0);
            CHECK(t.first[o] <= 1);  // the window of 4 stays inside the 5 elements
        }
    }
    // A dim of 3 elements gets a window of 3.
    CHECK(resize_axis_taps(m, axis_sizes(3, 7)).taps == 3);
}

TEST_CASE("tf_crop_and_resize marks positions outside the box", "[ops][resize]") {
    ResizeAxis a = axis_sizes(5, 4);
    a.roi_start = -0.5;
    a.roi_end = 1.0;
    // x_original = -2 + o * 1.5 * 4 / 3 = -2, 0, 2, 4: the first is outside.
    AxisTaps t = resize_axis_taps(method(ResizeMode::Linear, ResizeCoord::TfCropAndResize), a);
    CHECK(t.first[0] == -1);
    CHECK(t.first[1] >= 0);
    ResizePlan p = plan_resize(method(ResizeMode::Linear, ResizeCoord::TfCropAndResize), {a}, 2.5);
    CHECK(p.params.extrapolate == 1);
    CHECK(p.params.extrapolation == 2.5);
}

TEST_CASE("unchanged leading dims become planes of a gather", "[ops][resize]") {
    std::vector<ResizeAxis> axes = {axis_sizes(2, 2), axis_sizes(3, 3), axis_sizes(4, 8), axis_sizes(5, 5)};
    ResizePlan p = plan_resize(method(ResizeMode::Nearest, ResizeCoord::Asymmetric), axes, 0);
    CHECK(p.gather);
    CHECK(p.params.outer == 6);
    CHECK(p.params.rank == 2);
    CHECK(p.weight.empty());
    ResizePlan l = plan_resize(method(ResizeMode::Linear, ResizeCoord::HalfPixel), axes, 0);
    CHECK_FALSE(l.gather);
    CHECK(l.params.rank == 2);
    CHECK(l.params.taps[1] == 1);  // the trailing unchanged dim stays one tap
}

TEST_CASE("Resize matches the ONNX reference for every mode on odd shapes", "[ops][resize]") {
    const char* coords[] = {"half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners", "tf_half_pixel_for_nn"};
    for (const char* coord : coords) {
        RefOptions o;
        o.coord = coord;
        for (const char* nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
            o.mode = "nearest";
            o.nearest = nearest;
            check_against_reference({1, 3, 5, 7}, {}, {1, 3, 9, 4}, o);
            check_against_reference({1, 3, 5, 7}, {1, 1, 1.7f, 0.6f}, {}, o);
        }
        for (const char* mode : {"linear", "cubic"}) {
            o.mode = mode;
            check_against_reference({1, 2, 5, 7}, {}, {1, 2, 11, 3}, o);
            check_against_reference({1, 2, 5, 7}, {1, 1, 0.6f, 2.3f}, {}, o);
            check_against_reference({2, 7}, {}, {1, 17}, o);
        }
    }
    RefOptions o;
    o.mode = "linear";
    check_against_reference({1, 2, 3, 4, 5}, {}, {1, 2, 5, 3, 8}, o);  // trilinear
    check_against_reference({3, 4, 5}, {}, {5, 2, 7}, o);              // every dim resized
    o.mode = "cubic";
    for (double a : {-0.5, -0.75}) {
        for (bool exclude : {false, true}) {
            o.cubic_a = a;
            o.exclude_outside = exclude;
            check_against_reference({1, 1, 4, 6}, {1, 1, 2.0f, 0.8f}, {}, o);
        }
    }
    for (const char* mode : {"nearest", "linear", "cubic"}) {
        o = RefOptions();
        o.mode = mode;
        o.coord = "tf_crop_and_resize";
        o.extrapolation = -3.5;
        check_against_reference({1, 2, 5, 7}, {}, {1, 2, 6, 9}, o, {0, 0, 0.2f, -0.3f, 1, 1, 0.9f, 1.2f});
        check_against_reference({1, 2, 5, 7}, {}, {1, 2, 1, 1}, o, {0, 0, 0.2f, 0.3f, 1, 1, 0.9f, 0.5f});
    }
}

TEST_CASE("Resize refuses what it cannot compile, naming it", "[ops][resize]") {
    auto has = [](const std::string& s, const std::string& part) {
        INFO(s);
        CHECK(s.find(part) != std::string::npos);
    };
    has(resize_error(13, "linear", true), "input 2 ('scales', the scales) must be a compile-time constant");
    has(resize_error(13, "bicubic", false), "attribute mode='bicubic' is not supported");
    has(resize_error(13, "linear", false, onnx::TensorProto::INT8), "linear interpolation of type i8 is not supported");
    has(resize_error(10, "cubic", false), "attribute mode='cubic' is not supported");
}
