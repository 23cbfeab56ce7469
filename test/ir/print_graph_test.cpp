// The textual IR: one line per node with typed outputs, inputs (constants marked), attributes and name.
#include <catch2/catch.hpp>

#include "ir/graph.h"

using namespace kiln;

namespace {

ValueId add(Graph& g, const std::string& name, Shape shape, bool known = true) {
    Value v;
    v.name = name;
    v.dtype = DType::Float32;
    v.shape = std::move(shape);
    v.shape_known = known;
    return g.add_value(std::move(v));
}

}  // namespace

TEST_CASE("print_graph shows inputs nodes attributes constants and outputs", "[ir][print]") {
    Graph g;
    g.name = "net";
    ValueId x = add(g, "x", {1, 8});
    ValueId w = add(g, "w", {8});
    g.value(w).data = Tensor(DType::Float32, {8});
    ValueId y = add(g, "y", {1, 8});
    ValueId z = add(g, "z", {}, false);
    g.inputs = {x};
    Node mul;
    mul.name = "scale";
    mul.op_type = "Mul";
    mul.inputs = {x, w};
    mul.outputs = {y};
    g.nodes.push_back(mul);
    Node clip;
    clip.name = "clip1";
    clip.op_type = "Clip";
    clip.inputs = {y, kNoValue};
    clip.outputs = {z};
    Attribute a;
    a.kind = Attribute::Kind::Float;
    a.f = 0.5f;
    clip.attrs["alpha"] = a;
    Attribute p;
    p.kind = Attribute::Kind::Ints;
    p.ints = {1, 2};
    clip.attrs["pads"] = p;
    g.nodes.push_back(clip);
    g.outputs = {z};

    std::string text = print_graph(g);
    INFO(text);
    CHECK(text.rfind("graph net {\n", 0) == 0);
    CHECK(text.find("  input %x: f32[1x8]\n") != std::string::npos);
    CHECK(text.find("# 1 constants, 32 bytes") != std::string::npos);
    CHECK(text.find("  %y: f32[1x8] = Mul(%x, %w(const))  # scale\n") != std::string::npos);
    CHECK(text.find("  %z: f32[?] = Clip(%y, _) {alpha=0.5, pads=[1,2]}  # clip1\n") != std::string::npos);
    CHECK(text.find("  return %z\n}\n") != std::string::npos);
    // Nodes appear in graph order.
    CHECK(text.find("# scale") < text.find("# clip1"));
}

TEST_CASE("print_graph of a scalar value and a node with an omitted output", "[ir][print]") {
    Graph g;
    ValueId x = add(g, "x", {});
    ValueId y = add(g, "y", {});
    g.inputs = {x};
    Node n;
    n.name = "d";
    n.op_type = "Dropout";
    n.inputs = {x};
    n.outputs = {y, kNoValue};
    g.nodes.push_back(n);
    g.outputs = {y};
    std::string text = print_graph(g);
    INFO(text);
    CHECK(text.find("input %x: f32[scalar]") != std::string::npos);
    CHECK(text.find("%y: f32[scalar], _ = Dropout(%x)  # d") != std::string::npos);
    CHECK(text.find("# 0 constants, 0 bytes") != std::string::npos);
}

TEST_CASE("graph producers and consumers", "[ir][graph]") {
    Graph g;
    ValueId x = add(g, "x", {2});
    ValueId y = add(g, "y", {2});
    ValueId z = add(g, "z", {2});
    g.inputs = {x};
    Node a;
    a.op_type = "Relu";
    a.inputs = {x};
    a.outputs = {y};
    Node b;
    b.op_type = "Add";
    b.inputs = {y, y};  // read twice, listed once
    b.outputs = {z};
    g.nodes = {a, b};
    g.outputs = {z};
    CHECK(g.producers() == std::vector<int>{-1, 0, 1});
    CHECK(g.consumers() == std::vector<std::vector<int>>{{0}, {1}, {}});
    CHECK(g.find_value("z") == z);
    CHECK(g.find_value("nope") == kNoValue);
    CHECK(g.is_graph_input(x));
    CHECK_FALSE(g.is_graph_input(y));
    CHECK(g.is_graph_output(z));
}
