// GridSample and RoiAlign kernels on hand-computed cases: identity grids, each padding mode at and beyond
// the border, PyTorch's coordinate reflection, RoiAlign's bins on a linear ramp (where bilinear sampling
// is exact), max mode, and rois whose batch index is out of range.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/sampling.h"

using namespace kiln::kernels;

namespace {

std::vector<float> sample(const std::vector<float>& x, int64_t h, int64_t w, const std::vector<float>& grid,
                          int64_t out_h, int64_t out_w, int32_t mode, int32_t padding, int32_t align) {
    GridSampleParams p{1, 1, h, w, out_h, out_w, mode, padding, align};
    std::vector<float> y(std::size_t(out_h * out_w), -1.0f);
    grid_sample(x.data(), grid.data(), y.data(), p);
    return y;
}

// One grid point (gx, gy) on the 2x2 image {1, 2; 3, 4}.
float at(float gx, float gy, int32_t mode, int32_t padding, int32_t align) {
    return sample({1, 2, 3, 4}, 2, 2, {gx, gy}, 1, 1, mode, padding, align)[0];
}

}  // namespace

TEST_CASE("grid_sample reproduces the image on an identity grid", "[ops][sampling]") {
    const int64_t h = 3, w = 5;
    std::vector<float> x(std::size_t(h * w)), grid;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i * i % 7) - 2.5f;
    for (int64_t i = 0; i < h; ++i) {
        for (int64_t j = 0; j < w; ++j) {
            grid.push_back(-1.0f + 2.0f * float(j) / float(w - 1));
            grid.push_back(-1.0f + 2.0f * float(i) / float(h - 1));
        }
    }
    for (int32_t mode : {kGridBilinear, kGridNearest, kGridBicubic}) {
        for (int32_t padding : {kPadZeros, kPadBorder, kPadReflection}) {
            std::vector<float> y = sample(x, h, w, grid, h, w, mode, padding, 1);
            for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(x[i]).margin(1e-5));
        }
    }
}

TEST_CASE("grid_sample bilinear at the centre and beyond the border", "[ops][sampling]") {
    CHECK(at(0, 0, kGridBilinear, kPadZeros, 0) == Approx(2.5f));
    CHECK(at(0, 0, kGridBilinear, kPadZeros, 1) == Approx(2.5f));
    // (-1, -1) without align_corners is pixel (-0.5, -0.5): a quarter of element (0, 0), the rest is padding.
    CHECK(at(-1, -1, kGridBilinear, kPadZeros, 0) == Approx(0.25f));
    CHECK(at(-1, -1, kGridBilinear, kPadBorder, 0) == Approx(1.0f));
    CHECK(at(-1, -1, kGridBilinear, kPadReflection, 0) == Approx(1.0f));
    // Far outside: zeros give 0, border the corner, reflection folds back into the image.
    CHECK(at(-7, 3, kGridBilinear, kPadZeros, 0) == 0.0f);
    CHECK(at(-7, 3, kGridBilinear, kPadBorder, 0) == Approx(3.0f));
    // x: (-7 + 1) * 2 / 2 - 0.5 = -6.5 reflects over [-0.5, 1.5] to 1.5 -> clipped to 1; y: 3.5 -> -0.5 -> 0.
    CHECK(at(-7, 3, kGridBilinear, kPadReflection, 0) == Approx(2.0f));
    CHECK(std::isfinite(at(1e30f, -1e30f, kGridBicubic, kPadReflection, 0)));
    CHECK(at(1e30f, 0, kGridBilinear, kPadZeros, 0) == 0.0f);
}

TEST_CASE("grid_sample nearest rounds half to even", "[ops][sampling]") {
    // align_corners=0, 2 wide: gx = 0 is pixel 0.5 -> 0; gx = 1 is pixel 1.5 -> 2 (outside) in zeros mode.
    CHECK(at(0, -0.5f, kGridNearest, kPadZeros, 0) == 1.0f);
    CHECK(at(1, -0.5f, kGridNearest, kPadZeros, 0) == 0.0f);
    CHECK(at(1, -0.5f, kGridNearest, kPadBorder, 0) == 2.0f);
    CHECK(at(0.2f, 0.6f, kGridNearest, kPadZeros, 1) == 4.0f);  // pixel (0.6, 0.8)
}

TEST_CASE("grid_reflect folds coordinates like PyTorch", "[ops][sampling]") {
    // align_corners=1 over 4 pixels: reflect over [0, 3].
    CHECK(grid_reflect(-1.0f, 0, 6) == Approx(1.0f));
    CHECK(grid_reflect(4.5f, 0, 6) == Approx(1.5f));
    CHECK(grid_reflect(7.0f, 0, 6) == Approx(1.0f));
    // align_corners=0: reflect over [-0.5, 3.5].
    CHECK(grid_reflect(-1.0f, -1, 7) == Approx(0.0f));
    CHECK(grid_reflect(4.0f, -1, 7) == Approx(3.0f));
    CHECK(grid_reflect(2.0f, 0, 0) == 0.0f);  // a one-pixel image with align_corners
}

namespace {

// x[h][w] = w on a 1 x 2 x 6 x 8 input (channel 1 is 10 + w): bilinear samples are exact.
std::vector<float> ramp() {
    std::vector<float> x;
    for (int c = 0; c < 2; ++c)
        for (int h = 0; h < 6; ++h)
            for (int w = 0; w < 8; ++w) x.push_back(float(w + 10 * c));
    return x;
}

std::vector<float> align(const std::vector<float>& rois, const std::vector<int64_t>& batch, int64_t out_h,
                         int64_t out_w, int64_t ratio, int32_t max_mode, int32_t half_pixel, float scale = 1.0f) {
    std::vector<float> x = ramp();
    const int64_t r = int64_t(batch.size());
    RoiAlignParams p{1, 2, 6, 8, r, out_h, out_w, ratio, max_mode, half_pixel, scale};
    std::vector<float> y(std::size_t(r * 2 * out_h * out_w), -1.0f);
    roi_align(x.data(), rois.data(), batch.data(), y.data(), p);
    return y;
}

}  // namespace

TEST_CASE("roi_align averages bilinear samples per bin", "[ops][sampling]") {
    // roi x 1..5, y 1..3, two bins across, 2x2 samples each: samples at x = 1.5, 2.5 | 3.5, 4.5.
    std::vector<float> y = align({1, 1, 5, 3}, {0}, 1, 2, 2, 0, 0);
    CHECK(y == std::vector<float>{2, 4, 12, 14});
    // half_pixel shifts the box by half a pixel: x = 1, 2 | 3, 4.
    y = align({1, 1, 5, 3}, {0}, 1, 2, 2, 0, 1);
    CHECK(y == std::vector<float>{1.5f, 3.5f, 11.5f, 13.5f});
    // spatial_scale 0.5 halves the box: x 0.5..2.5, one sample per bin (ceil(1 / 1)).
    y = align({1, 2, 5, 6}, {0}, 1, 2, 0, 0, 0, 0.5f);
    CHECK(y == std::vector<float>{1, 2, 11, 12});
}

TEST_CASE("roi_align max mode and out-of-range batch indices", "[ops][sampling]") {
    // Max takes the largest weighted tap of each sample, then the largest sample. half_pixel: samples at
    // x = 1.5, 3.5 and y = 1, 2; at x = 3.5 the taps are 0.5 * 3 and 0.5 * 4.
    std::vector<float> y = align({1, 1, 5, 3}, {0}, 1, 1, 2, 1, 1);
    CHECK(y[0] == Approx(2.0f));
    CHECK(y[1] == Approx(7.0f));
    // One sample per bin on whole pixels (x = 2, 4; y = 2): one tap of weight 1.
    y = align({1, 1, 5, 3}, {0}, 1, 2, 1, 1, 0);
    CHECK(y == std::vector<float>{2, 4, 12, 14});
    y = align({1, 1, 5, 3, 1, 1, 5, 3}, {3, -1}, 1, 1, 2, 0, 0);
    CHECK(y == std::vector<float>{0, 0, 0, 0});
}
