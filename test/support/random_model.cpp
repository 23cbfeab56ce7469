// Random elementwise models.
#include "support/random_model.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/onnx_builder.h"

namespace kiln {
namespace test {

onnx::ModelProto random_elementwise_model(uint32_t seed, int num_nodes) {
    std::mt19937 rng(seed);
    onnx::ModelProto m = make_model();
    add_input(m, "x0", kFloat, {2, 3, 4});
    add_input(m, "x1", kFloat, {3, 1});
    std::vector<std::string> pool = {"x0", "x1"};
    // Weight shapes all broadcast against [2,3,4] and against each other.
    const std::vector<std::vector<int64_t>> shapes = {{}, {4}, {3, 1}, {1, 3, 4}, {2, 3, 4}};
    for (int w = 0; w < 4; ++w) {
        std::vector<int64_t> s = shapes[rng() % shapes.size()];
        int64_t n = 1;
        for (int64_t d : s) n *= d;
        std::vector<float> v(static_cast<std::size_t>(n));
        std::uniform_real_distribution<float> dist(0.5f, 2.0f);  // away from 0: Div stays finite
        for (float& x : v) x = rng() % 2 ? dist(rng) : -dist(rng);
        std::string name = "w" + std::to_string(w);
        add_initializer(m, raw_float_tensor(name, s, v));
        pool.push_back(name);
    }
    const char* binary[] = {"Add", "Sub", "Mul", "Div"};
    const char* unary[] = {"Relu", "Sigmoid"};
    std::vector<std::string> produced;
    for (int i = 0; i < num_nodes; ++i) {
        std::string out = "v" + std::to_string(i);
        // Prefer recent values so chains get deep, but reach back anywhere.
        auto pick = [&]() -> const std::string& {
            std::size_t k = rng() % 2 ? pool.size() - 1 - rng() % std::min<std::size_t>(pool.size(), 4) : rng() % pool.size();
            return pool[k];
        };
        if (rng() % 3 == 0) {
            add_node(m, unary[rng() % 2], {pick()}, {out}, "n" + std::to_string(i));
        } else {
            std::string a = pick(), b = pick();
            std::string op = binary[rng() % 4];
            if (op == "Div") b = "w" + std::to_string(rng() % 4);  // divide by weights only: no 0
            add_node(m, op, {a, b}, {out}, "n" + std::to_string(i));
        }
        pool.push_back(out);
        produced.push_back(out);
    }
    std::set<std::string> outs = {produced.back()};
    int extra = int(rng() % 3);
    for (int k = 0; k < extra; ++k) outs.insert(produced[rng() % produced.size()]);
    for (const std::string& o : outs) add_output(m, o, kFloat, {});
    return m;
}

}  // namespace test
}  // namespace kiln
