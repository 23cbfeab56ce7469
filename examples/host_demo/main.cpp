// Host demo: runs the Kiln-compiled smallcnn (examples/models/export_smallcnn.py) on one 28x28 image and
// prints the ten class scores and the top-1 class. The model code needs nothing but smallcnn.h/.cpp; the
// demo itself is ordinary host C++ (stdio for the file and the printout).
//
//   host_demo                 the built-in pattern of class 3 (a bar at 54 degrees)
//   host_demo --pattern K     the built-in pattern of class K (0..9: a bar at K*18 degrees)
//   host_demo --raw FILE      28*28 float32 values (little-endian, row-major), e.g. from numpy's tofile()
//   host_demo --all           every built-in pattern; exits 1 unless each is classified as its own class
#include "smallcnn.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kSize = 28;
constexpr int kClasses = 10;
constexpr float kDegreesPerClass = 180.0f / kClasses;

static_assert(smallcnn::kNumInputs == 1 && smallcnn::kNumOutputs == 1, "smallcnn has one input and one output");
static_assert(smallcnn::kInput0Elements == kSize * kSize, "smallcnn takes one 1x1x28x28 image");
static_assert(smallcnn::kOutput0Elements == kClasses, "smallcnn returns ten class probabilities");

// The model's input and output, and nothing else: the generated code keeps its own static arena.
float g_image[smallcnn::kInput0Elements];
float g_scores[smallcnn::kOutput0Elements];

// The noiseless training pattern of a class, as bar_image() in export_smallcnn.py computes it: a line
// through the centre, Gaussian across (width 1.5 px), cut off 10 px from the centre along it.
void draw_bar(int cls, float* image) {
    const float angle = cls * kDegreesPerClass * 3.14159265358979f / 180.0f;
    const float c = std::cos(angle), s = std::sin(angle);
    const float centre = 13.5f, half_length = 10.0f, width = 1.5f;
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
            const float dx = x - centre, dy = y - centre;
            const float along = dx * c + dy * s, across = -dx * s + dy * c;
            image[y * kSize + x] =
                std::fabs(along) > half_length ? 0.0f : std::exp(-across * across / (2.0f * width * width));
        }
}

bool read_raw(const char* path, float* image) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) {
        std::fprintf(stderr, "host_demo: cannot open %s\n", path);
        return false;
    }
    const std::size_t got = std::fread(image, 1, smallcnn::kInput0Bytes, f);
    const bool at_end = std::fgetc(f) == EOF;
    std::fclose(f);
    if (got != smallcnn::kInput0Bytes || !at_end) {
        std::fprintf(stderr, "host_demo: %s must hold exactly %zu bytes (28x28 float32)\n", path,
                     static_cast<std::size_t>(smallcnn::kInput0Bytes));
        return false;
    }
    return true;
}

// Two rows per character line, so the square image prints roughly square.
void print_image(const float* image) {
    const char* shades = " .:-=+*#";
    for (int y = 0; y < kSize; y += 2) {
        std::printf("    |");
        for (int x = 0; x < kSize; ++x) {
            float v = 0.5f * (image[y * kSize + x] + image[(y + 1) * kSize + x]);
            int level = static_cast<int>(v * 8.0f);
            std::putchar(shades[level < 0 ? 0 : level > 7 ? 7 : level]);
        }
        std::printf("|\n");
    }
}

// Runs the model on g_image; returns the top-1 class, or -1 when run() fails.
int classify(bool verbose) {
    const int rc = smallcnn::run(g_image, g_scores);
    if (rc != 0) {
        std::fprintf(stderr, "host_demo: smallcnn::run returned %d\n", rc);
        return -1;
    }
    int best = 0;
    for (int k = 1; k < kClasses; ++k)
        if (g_scores[k] > g_scores[best]) best = k;
    if (verbose) {
        for (int k = 0; k < kClasses; ++k) {
            std::printf("  class %d (%5.1f deg) %.6f ", k, k * kDegreesPerClass, static_cast<double>(g_scores[k]));
            for (int i = 0; i < static_cast<int>(g_scores[k] * 40.0f + 0.5f); ++i) std::putchar('#');
            std::printf("%s\n", k == best ? "  <- top-1" : "");
        }
        std::printf("top-1: class %d (a bar at %.0f degrees), p = %.4f\n", best, best * kDegreesPerClass,
                    static_cast<double>(g_scores[best]));
    }
    return best;
}

int run_all_patterns() {
    int wrong = 0;
    for (int k = 0; k < kClasses; ++k) {
        draw_bar(k, g_image);
        const int got = classify(false);
        std::printf("pattern %d -> class %d, p = %.4f%s\n", k, got, got < 0 ? 0.0 : static_cast<double>(g_scores[got]),
                    got == k ? "" : "  WRONG");
        if (got != k) ++wrong;
    }
    std::printf("%d of %d built-in patterns classified correctly\n", kClasses - wrong, kClasses);
    return wrong == 0 ? 0 : 1;
}

int usage() {
    std::fprintf(stderr, "usage: host_demo [--pattern K | --raw FILE | --all]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::printf("smallcnn: arena %zu bytes, weights %zu bytes\n", static_cast<std::size_t>(smallcnn::kArenaBytes),
                static_cast<std::size_t>(smallcnn::kWeightBytes));
    if (argc == 2 && std::strcmp(argv[1], "--all") == 0) return run_all_patterns();
    if (argc == 3 && std::strcmp(argv[1], "--raw") == 0) {
        if (!read_raw(argv[2], g_image)) return 2;
        std::printf("input: %s\n", argv[2]);
    } else if (argc == 1 || (argc == 3 && std::strcmp(argv[1], "--pattern") == 0)) {
        char* end = nullptr;
        const long cls = argc == 1 ? 3 : std::strtol(argv[2], &end, 10);
        if (argc == 3 && (*end != '\0' || cls < 0 || cls >= kClasses)) return usage();
        draw_bar(static_cast<int>(cls), g_image);
        std::printf("input: built-in pattern %ld (a bar at %.0f degrees)\n", cls, cls * kDegreesPerClass);
    } else {
        return usage();
    }
    print_image(g_image);
    return classify(true) < 0 ? 3 : 0;
}
