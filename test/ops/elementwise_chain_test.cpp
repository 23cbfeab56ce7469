// ElementwiseChain: the kernel against the unfused kernels over odd sizes (blocks of 128 and partial ones),
// per-channel and scalar operands, in place; inference that reads and validates every attribute; the
// generated code of fused chains built and run by `kiln check` against the unfused reference evaluator.
#include <cstring>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/elementwise_chain.h"
#include "ops/broadcast.h"
#include "driver/exit_codes.h"
#include "ops/registry.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;
namespace k = kiln::kernels;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// y = Relu(x * scale[c] + bias[c]) then Sigmoid(y) * x, for x of shape [2, C, S].
void check_sizes(int64_t channels, int64_t spatial, bool in_place) {
    const Shape shape = {2, channels, spatial};
    const int64_t n = shape_numel(shape);
    Tensor xt = random_float_tensor(shape, uint32_t(n), -3, 3);
    Tensor st = random_float_tensor({channels, 1}, 7);
    Tensor bt = random_float_tensor({channels, 1}, 8);
    std::vector<float> x(xt.data<float>(), xt.data<float>() + n);
    const float* scale = st.data<float>();
    const float* bias = bt.data<float>();
    // Unfused, with the ops' own kernels.
    std::vector<float> a(std::size_t(n), 0.0f), want(std::size_t(n), 0.0f);
    k::BroadcastParams bp = make_broadcast_params(shape, {shape, {channels, 1}});
    k::binary(x.data(), scale, a.data(), bp, k::Mul());
    k::binary(a.data(), bias, a.data(), bp, k::Add());
    k::unary(a.data(), a.data(), n, k::Relu());
    k::unary(a.data(), a.data(), n, k::Sigmoid());
    k::binary(a.data(), x.data(), want.data(), make_broadcast_params(shape, {shape, shape}), k::Mul());
    // Fused.
    k::ChainParams p{};
    p.n = n;
    p.num_steps = 5;
    p.inner[0] = 1, p.count[0] = n;
    p.inner[1] = p.inner[2] = spatial;
    p.count[1] = p.count[2] = channels;
    p.steps[0] = {k::kChainMul, 1, 0, 0, 0};
    p.steps[1] = {k::kChainAdd, 2, 0, 0, 0};
    p.steps[2] = {k::kChainRelu, -1, 0, 0, 0};
    p.steps[3] = {k::kChainSigmoid, -1, 0, 0, 0};
    p.steps[4] = {k::kChainMul, 0, 0, 0, 0};
    std::vector<float> y(std::size_t(n), 0.0f);
    float* out = in_place ? x.data() : y.data();
    k::ChainInputs<float> ins{{x.data(), scale, bias}};
    k::elementwise_chain(ins, out, p);
    CHECK(same_bits(in_place ? x : y, want));
}

// One ElementwiseChain node over inputs of the given shapes, inferred with the op's own inference.
Status infer_chain(std::vector<Shape> shapes, std::vector<std::string> ops, std::vector<int64_t> operand,
                   std::vector<int64_t> swap, std::vector<float> params, Shape* out = nullptr) {
    Graph g;
    Node n;
    n.name = "chain";
    n.op_type = "ElementwiseChain";
    n.domain = kInternalDomain;
    n.opset = 1;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        Value v;
        v.name = "in" + std::to_string(i);
        v.dtype = DType::Float32;
        v.shape = shapes[i];
        v.shape_known = true;
        n.inputs.push_back(g.add_value(v));
    }
    Value y;
    y.name = "y";
    n.outputs.push_back(g.add_value(y));
    Attribute a;
    a.kind = Attribute::Kind::Strings;
    a.strings = ops;
    n.attrs["ops"] = a;
    a = Attribute{};
    a.kind = Attribute::Kind::Ints;
    a.ints = operand;
    n.attrs["operand"] = a;
    a.ints = swap;
    n.attrs["swap"] = a;
    a = Attribute{};
    a.kind = Attribute::Kind::Floats;
    a.floats = params;
    n.attrs["params"] = a;
    InferCtx c(g, n);
    Status s = find_op(kInternalDomain, "ElementwiseChain")->infer(c);
    if (s.is_ok() && !c.unread_attrs().empty()) s = Status::error("unread attribute");
    if (out) *out = g.value(n.outputs[0]).shape;
    return s;
}

bool has(const Status& s, const std::string& part) { return s.message().find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the chain kernel matches the unfused kernels bit for bit over odd sizes", "[ops][elementwise_chain]") {
    for (int64_t c : {1, 3, 7, 17})
        for (int64_t s : {1, 5, 33, 64, 130, 300}) {  // runs shorter and longer than a block
            INFO("channels " << c << ", spatial " << s);
            check_sizes(c, s, false);
            check_sizes(c, s, true);  // the output written over the main input
        }
}

TEST_CASE("the chain's inference validates its program", "[ops][elementwise_chain]") {
    Shape out;
    CHECK(infer_chain({{2, 3, 4}, {3, 1}, {}}, {"Mul", "Add", "Clip"}, {1, 2, -1}, {0, 1, 0}, {0, 0, 0, 0, -1, 1}, &out)
              .is_ok());
    CHECK(out == Shape{2, 3, 4});
    CHECK(infer_chain({{2, 3, 4}, {3, 4}}, {"Sub"}, {1}, {1}, {0, 0}).is_ok());  // trailing run [3,4]
    CHECK(has(infer_chain({{4}}, {"Frobnicate"}, {-1}, {0}, {0, 0}), "'Frobnicate' is not supported"));
    CHECK(has(infer_chain({{4}}, {"Relu"}, {0}, {0}, {0, 0}), "unary"));
    CHECK(has(infer_chain({{4}}, {"Add"}, {1}, {0}, {0, 0}), "not an input"));
    CHECK(has(infer_chain({{4}}, {"Add"}, {0}, {2}, {0, 0}), "swap must be 0 or 1"));
    CHECK(has(infer_chain({{4}}, {"Relu"}, {-1}, {0}, {0}), "params"));
    CHECK(has(infer_chain({{4}, {4}}, {"Relu"}, {-1}, {0}, {0, 0}), "not read by any step"));
    CHECK(has(infer_chain({{2, 3, 4}, {2, 1, 4}}, {"Mul"}, {1}, {0}, {0, 0}), "not a scalar, per-channel"));
    CHECK(has(infer_chain({{3}, {2, 3}}, {"Mul"}, {1}, {0}, {0, 0}), "not a scalar, per-channel"));
    CHECK(has(infer_chain({{4}}, {}, {}, {}, {}), "1 to 16"));
}

TEST_CASE("generated code of fused chains builds and matches the unfused reference", "[ops][elementwise_chain][slow]") {
    // GELU on [1,5,40] and a per-channel scale+bias+x*sigmoid on [1,3,7,9] (odd sizes: partial blocks).
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {1, 5, 40});
    add_input(m, "z", kFloat, {1, 3, 7, 9});
    add_initializer(m, raw_float_tensor("sqrt2", {}, {1.4142135f}));
    add_initializer(m, raw_float_tensor("one", {}, {1}));
    add_initializer(m, raw_float_tensor("half", {}, {0.5f}));
    add_initializer(m, raw_float_tensor("scale", {3, 1, 1}, {0.5f, -2, 3}));
    add_initializer(m, raw_float_tensor("bias", {3, 1, 1}, {1, 0.25f, -1}));
    add_node(m, "Div", {"x", "sqrt2"}, {"d"});
    add_node(m, "Erf", {"d"}, {"e"});
    add_node(m, "Add", {"e", "one"}, {"a"});
    add_node(m, "Mul", {"x", "a"}, {"xm"});
    add_node(m, "Mul", {"xm", "half"}, {"y"});
    add_node(m, "Mul", {"z", "scale"}, {"zs"});
    add_node(m, "Add", {"bias", "zs"}, {"zb"});
    add_node(m, "Sigmoid", {"zb"}, {"sg"});
    add_node(m, "Mul", {"sg", "zb"}, {"w"});
    add_output(m, "y", kFloat, {1, 5, 40});
    add_output(m, "w", kFloat, {1, 3, 7, 9});
    Graph g = inferred(*import_model(m));
    std::vector<Tensor> ins = random_inputs(g, 11);
    std::vector<Tensor> outs = evaluate_ok(g, ins);  // unfused: infer-shapes only
    TempDir dir;
    write_model(m, dir.file("model.onnx"));
    write_data_set(dir.file("test_data_set_0"), ins, outs);
    CommandResult ir = run_kiln({"compile", dir.file("model.onnx"), "-o", dir.file("out"), "--print-ir"});
    INFO(ir.out << ir.err);
    REQUIRE(ir.exit_code == kExitOk);
    CHECK(ir.out.find("ops=[Div,Erf,Add,Mul,Mul]") != std::string::npos);
    // zb has two readers (Sigmoid, Mul): the chain stops there and a second one starts at Sigmoid, reading zb twice.
    CHECK(ir.out.find("ops=[Mul,Add]") != std::string::npos);
    CHECK(ir.out.find("ops=[Sigmoid,Mul]") != std::string::npos);
    CommandResult r = run_kiln({"check", dir.file("model.onnx")});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kExitOk);
}
