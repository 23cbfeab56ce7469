// ModelProto -> Graph: opsets, initializers, Constant nodes, graph inputs with bound shapes,
// attributes, and a topological order. Every failure names the model and, where it applies, the node.
#include "frontend/onnx_import.h"
#include "ops/registry.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

namespace kiln {

namespace fs = std::filesystem;

namespace {

class Importer {
public:
    Importer(const std::string& base_dir, const ImportOptions& opts) : base_dir_(base_dir), opts_(opts) {}

    Expected<Graph> run(const onnx::ModelProto& m) {
        if (!m.has_graph()) return Status::error("the file has no graph: it is not an ONNX model");
        KILN_TRY(read_opsets(m));
        return import_graph(m.graph());
    }

private:
    // A subgraph (If/Loop/Scan body) sees the values of the enclosing graphs defined before its node.
    Importer(const Importer& parent, Importer* mutable_parent)
        : base_dir_(parent.base_dir_), opts_(no_options()), opsets_(parent.opsets_), parent_(mutable_parent) {}
    static const ImportOptions& no_options() {
        static const ImportOptions none;
        return none;
    }

    bool known(const std::string& name) const { return names_.count(name) || (parent_ && parent_->known(name)); }

    // The id of `name` here; a value of an enclosing graph becomes a capture of this one.
    ValueId resolve(const std::string& name) {
        auto it = names_.find(name);
        if (it != names_.end()) return it->second;
        ValueId outer = parent_->resolve(name);
        Value v = parent_->g_.value(outer);
        v.data.reset();  // the value is bound at expansion time, constant or not
        ValueId id = g_.add_value(std::move(v));
        names_[name] = id;
        g_.captures.push_back({id, outer});
        return id;
    }

    Expected<Graph> import_graph(const onnx::GraphProto& gp) {
        g_.name = gp.name();
        for (const auto& init : gp.initializer()) KILN_TRY(add_initializer(init));
        if (gp.sparse_initializer_size() > 0) return Status::error("sparse initializers are not supported");
        for (const auto& in : gp.input()) KILN_TRY(add_input(in));
        for (const auto& kv : opts_.input_shapes)
            if (!bound_.count(kv.first))
                return Status::errorf("--input-shape names '{}', which is not an input of the model", kv.first);
        for (const auto& kv : opts_.frozen_inputs)
            if (!bound_.count(kv.first))
                return Status::errorf("--freeze names '{}', which is not an input of the model", kv.first);
        std::vector<const onnx::NodeProto*> order;
        KILN_TRY(sort_nodes(gp, &order));
        for (const onnx::NodeProto* n : order) KILN_TRY(add_node(*n));
        for (const auto& out : gp.output()) {
            if (!known(out.name()))
                return Status::errorf("graph output '{}' is not produced by any node", out.name());
            g_.outputs.push_back(resolve(out.name()));
        }
        if (g_.outputs.empty()) return Status::error("the graph has no outputs");
        return std::move(g_);
    }

    Status read_opsets(const onnx::ModelProto& m) {
        for (const auto& op : m.opset_import()) opsets_[op.domain() == "ai.onnx" ? "" : op.domain()] = int(op.version());
        if (!opsets_.count("")) {
            if (m.opset_import_size() > 0) return Status::error("the model imports no default-domain opset");
            opsets_[""] = 1;  // IR v2 models without opset_import
        }
        int v = opsets_[""];
        if (v < kMinOpset || v > kMaxOpset)
            return Status::errorf("opset {} is not supported (Kiln reads opsets {} to {})", v, kMinOpset, kMaxOpset);
        return Status::ok();
    }

    Status define(const std::string& name, ValueId id) {
        if (!names_.emplace(name, id).second) return Status::errorf("value '{}' is defined more than once", name);
        return Status::ok();
    }

    Status add_initializer(const onnx::TensorProto& p) {
        Expected<Tensor> t = tensor_from_proto(p, base_dir_);
        if (!t) return t.status();
        Value v;
        v.name = p.name();
        v.dtype = t->dtype();
        v.shape = t->shape();
        v.shape_known = true;
        v.data = std::move(*t);
        if (v.name.empty()) return Status::error("an initializer has no name");
        std::string name = v.name;  // v is moved below; argument evaluation order is unspecified
        return define(name, g_.add_value(std::move(v)));
    }

    Status add_input(const onnx::ValueInfoProto& in) {
        if (names_.count(in.name())) {
            if (!g_.value(names_.at(in.name())).is_constant())
                return Status::errorf("graph input '{}' is listed more than once", in.name());
            bound_.insert(in.name());  // an input with an initializer is a constant (its default) here
            return Status::ok();
        }
        if (!in.type().has_tensor_type())
            return Status::errorf("input '{}' is not a tensor (sequence, map and optional inputs are not supported)",
                                  in.name());
        if (parent_) return add_subgraph_input(in);
        const auto& tt = in.type().tensor_type();
        Value v;
        v.name = in.name();
        v.dtype = dtype_from_onnx(tt.elem_type());
        if (!dtype_supported(v.dtype))
            return Status::errorf("input '{}' has element type {}, which is not supported", in.name(), tt.elem_type());
        auto frozen = opts_.frozen_inputs.find(in.name());
        if (frozen != opts_.frozen_inputs.end()) return add_frozen_input(in, frozen->second);
        auto bound = opts_.input_shapes.find(in.name());
        if (!tt.has_shape() && bound == opts_.input_shapes.end())
            return Status::errorf("input '{}' has no shape; give it with --input-shape {}=DIMS", in.name(), in.name());
        Shape model_shape;
        for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); ++i) {
            const auto& d = tt.shape().dim(i);
            model_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
            v.dim_params.push_back(d.has_dim_value() ? "" : (d.dim_param().empty() ? "?" : d.dim_param()));
        }
        if (bound != opts_.input_shapes.end()) {
            const Shape& s = bound->second;
            if (tt.has_shape() && s.size() != model_shape.size())
                return Status::errorf("--input-shape {}={} has rank {}, but the model declares rank {}", in.name(),
                                      shape_str(s), s.size(), model_shape.size());
            for (std::size_t i = 0; i < model_shape.size(); ++i)
                if (model_shape[i] >= 0 && model_shape[i] != s[i])
                    return Status::errorf("--input-shape {}={} conflicts with the model's dim {} = {}", in.name(),
                                          shape_str(s), i, model_shape[i]);
            v.shape = s;
        } else {
            for (std::size_t i = 0; i < model_shape.size(); ++i)
                if (model_shape[i] < 0)
                    return Status::errorf("input '{}' dim {} ('{}') is not fixed; bind it with --input-shape {}=DIMS",
                                          in.name(), i, v.dim_params[i], in.name());
            v.shape = model_shape;
        }
        if (checked_numel(v.shape) < 0)
            return Status::errorf("input '{}' shape {} has more than {} elements", in.name(), shape_str(v.shape),
                                  kMaxTensorElements);
        v.shape_known = true;
        bound_.insert(in.name());
        ValueId id = g_.add_value(std::move(v));
        g_.inputs.push_back(id);
        return define(in.name(), id);
    }

    // Body inputs get their type and shape when the body is expanded; what the model declares is kept.
    Status add_subgraph_input(const onnx::ValueInfoProto& in) {
        const auto& tt = in.type().tensor_type();
        Value v;
        v.name = in.name();
        v.dtype = dtype_from_onnx(tt.elem_type());
        ValueId id = g_.add_value(std::move(v));
        g_.inputs.push_back(id);
        return define(in.name(), id);
    }

    // A graph input given a fixed value: it becomes a constant of the declared type and (known) dims.
    Status add_frozen_input(const onnx::ValueInfoProto& in, const Tensor& t) {
        const auto& tt = in.type().tensor_type();
        if (dtype_from_onnx(tt.elem_type()) != t.dtype())
            return Status::errorf("--freeze {}: the value is {} but the input is {}", in.name(), dtype_name(t.dtype()),
                                  dtype_name(dtype_from_onnx(tt.elem_type())));
        if (tt.has_shape()) {
            bool ok = tt.shape().dim_size() == t.rank();
            for (int i = 0; ok && i < tt.shape().dim_size(); ++i)
                ok = !tt.shape().dim(i).has_dim_value() || tt.shape().dim(i).dim_value() == t.shape()[std::size_t(i)];
            if (!ok)
                return Status::errorf("--freeze {}: the value has shape {}, which the input's declared shape does not allow",
                                      in.name(), shape_str(t.shape()));
        }
        Value v;
        v.name = in.name();
        v.dtype = t.dtype();
        v.shape = t.shape();
        v.shape_known = true;
        v.data = t;
        bound_.insert(in.name());
        return define(in.name(), g_.add_value(std::move(v)));
    }

    // Kahn's algorithm, stable in file order: exporters are supposed to sort nodes but not all do.
    Status sort_nodes(const onnx::GraphProto& gp, std::vector<const onnx::NodeProto*>* order) {
        std::set<std::string> available;
        for (const auto& kv : names_) available.insert(kv.first);
        auto ready_name = [&](const std::string& n) { return available.count(n) || (parent_ && parent_->known(n)); };
        std::vector<bool> done(std::size_t(gp.node_size()), false);
        std::size_t remaining = done.size();
        while (remaining > 0) {
            bool progress = false;
            for (int i = 0; i < gp.node_size(); ++i) {
                if (done[std::size_t(i)]) continue;
                const auto& n = gp.node(i);
                bool ready = true;
                for (const auto& in : n.input())
                    if (!in.empty() && !ready_name(in)) { ready = false; break; }
                if (!ready) continue;
                for (const auto& out : n.output())
                    if (!out.empty()) available.insert(out);
                order->push_back(&n);
                done[std::size_t(i)] = true;
                --remaining;
                progress = true;
            }
            if (!progress) {
                for (int i = 0; i < gp.node_size(); ++i) {
                    if (done[std::size_t(i)]) continue;
                    for (const auto& in : gp.node(i).input())
                        if (!in.empty() && !ready_name(in))
                            return Status::errorf("node '{}' ({}): input '{}' is not produced by any node, initializer "
                                                  "or graph input (or the graph has a cycle)",
                                                  gp.node(i).name(), gp.node(i).op_type(), in);
                }
            }
        }
        return Status::ok();
    }

    std::string node_name(const onnx::NodeProto& n) {
        std::string base = n.name().empty() ? n.op_type() + "_" + std::to_string(g_.nodes.size()) : n.name();
        std::string name = base;
        for (int k = 1; !node_names_.insert(name).second; ++k) name = base + "_" + std::to_string(k);
        return name;
    }

    Expected<Attribute> convert_attr(const onnx::AttributeProto& a) {
        Attribute r;
        using A = onnx::AttributeProto;
        switch (a.type()) {
        case A::FLOAT: r.kind = Attribute::Kind::Float; r.f = a.f(); break;
        case A::INT: r.kind = Attribute::Kind::Int; r.i = a.i(); break;
        case A::STRING: r.kind = Attribute::Kind::String; r.s = a.s(); break;
        case A::TENSOR: {
            Expected<Tensor> t = tensor_from_proto(a.t(), base_dir_);
            if (!t) return t.status();
            r.kind = Attribute::Kind::Tensor;
            r.t = std::move(*t);
            break;
        }
        case A::FLOATS: r.kind = Attribute::Kind::Floats; r.floats.assign(a.floats().begin(), a.floats().end()); break;
        case A::INTS: r.kind = Attribute::Kind::Ints; r.ints.assign(a.ints().begin(), a.ints().end()); break;
        case A::STRINGS: r.kind = Attribute::Kind::Strings; r.strings.assign(a.strings().begin(), a.strings().end()); break;
        case A::GRAPH: {
            Importer child(*this, this);
            Expected<Graph> g = child.import_graph(a.g());
            if (!g) return g.status().with_prefix(fmt::format("subgraph '{}': ", a.name()));
            r.kind = Attribute::Kind::Graph;
            r.g = std::make_shared<const Graph>(std::move(*g));
            break;
        }
        default: r.kind = Attribute::Kind::Unsupported; break;
        }
        return r;
    }

    Status add_node(const onnx::NodeProto& np) {
        Node n;
        n.name = node_name(np);
        n.op_type = np.op_type();
        n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
        auto ops = opsets_.find(n.domain);
        n.opset = ops == opsets_.end() ? 0 : ops->second;
        auto ctx = [&]() { return fmt::format("node '{}' ({}, opset {}): ", n.name, n.op_type, n.opset); };
        if (ops == opsets_.end())
            return Status::errorf("{}domain '{}' is not imported by the model", ctx(), n.domain);
        if (n.domain == kInternalDomain)
            return Status::errorf("{}domain '{}' is reserved for operators Kiln's passes create", ctx(), n.domain);
        for (const auto& a : np.attribute()) {
            Expected<Attribute> attr = convert_attr(a);
            if (!attr) return attr.status().with_prefix(ctx());
            n.attrs[a.name()] = std::move(*attr);
        }
        if (n.domain.empty() && n.op_type == "Constant") return add_constant_node(np, n, ctx());
        for (const auto& in : np.input()) n.inputs.push_back(in.empty() ? kNoValue : resolve(in));
        for (const auto& out : np.output()) {
            if (out.empty()) {
                n.outputs.push_back(kNoValue);
                continue;
            }
            Value v;
            v.name = out;
            ValueId id = g_.add_value(std::move(v));
            Status s = define(out, id);
            if (!s) return s.with_prefix(ctx());
            n.outputs.push_back(id);
        }
        g_.nodes.push_back(std::move(n));
        return Status::ok();
    }

    // Constant nodes become constant values right away: no node survives import.
    Status add_constant_node(const onnx::NodeProto& np, const Node& n, const std::string& ctx) {
        if (np.output_size() != 1) return Status::errorf("{}expected 1 output", ctx);
        if (n.attrs.size() != 1) return Status::errorf("{}expected exactly one value attribute", ctx);
        const auto& [key, a] = *n.attrs.begin();
        Tensor t;
        if (key == "value" && a.kind == Attribute::Kind::Tensor) {
            t = *a.t;
        } else if (key == "value_float" && a.kind == Attribute::Kind::Float) {
            t = Tensor(DType::Float32, {});
            t.data<float>()[0] = a.f;
        } else if (key == "value_floats" && a.kind == Attribute::Kind::Floats) {
            t = Tensor(DType::Float32, {int64_t(a.floats.size())});
            for (std::size_t i = 0; i < a.floats.size(); ++i) t.data<float>()[i] = a.floats[i];
        } else if (key == "value_int" && a.kind == Attribute::Kind::Int) {
            t = Tensor(DType::Int64, {});
            t.data<int64_t>()[0] = a.i;
        } else if (key == "value_ints" && a.kind == Attribute::Kind::Ints) {
            t = Tensor(DType::Int64, {int64_t(a.ints.size())});
            for (std::size_t i = 0; i < a.ints.size(); ++i) t.data<int64_t>()[i] = a.ints[i];
        } else {
            return Status::errorf("{}attribute '{}' is not supported (string and sparse constants are out of scope)",
                                  ctx, key);
        }
        Value v;
        v.name = np.output(0);
        v.dtype = t.dtype();
        v.shape = t.shape();
        v.shape_known = true;
        v.data = std::move(t);
        std::string name = v.name;  // v is moved below; argument evaluation order is unspecified
        Status s = define(name, g_.add_value(std::move(v)));
        return s.with_prefix(ctx);
    }

    std::string base_dir_;
    const ImportOptions& opts_;
    Graph g_;
    std::map<std::string, int> opsets_;
    std::map<std::string, ValueId> names_;
    std::set<std::string> node_names_;
    std::set<std::string> bound_;
    Importer* parent_ = nullptr;
};

}  // namespace

Expected<Graph> import_onnx_bytes(const std::string& bytes, const std::string& base_dir,
                                  const ImportOptions& options, const std::string& label) {
    if (bytes.empty()) return Status::errorf("{}: the file is empty", label);
    onnx::ModelProto m;
    google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()), int(bytes.size()));
    stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
    if (!m.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
        return Status::errorf("{}: not a valid ONNX model (protobuf parse failed: truncated or not a model file)", label);
    Importer imp(base_dir, options);
    Expected<Graph> g = imp.run(m);
    if (!g) return g.status().with_prefix(label + ": ");
    if (g->name.empty()) g->name = fs::path(label).stem().string();
    return g;
}

Expected<Graph> import_onnx_file(const std::string& path, const ImportOptions& options) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::errorf("{}: no such file", path);
    if (fs::is_directory(path, ec)) return Status::errorf("{}: is a directory, expected an .onnx file", path);
    auto size = fs::file_size(path, ec);
    if (ec) return Status::errorf("{}: cannot read: {}", path, ec.message());
    if (size > uint64_t(std::numeric_limits<int>::max()))
        return Status::errorf("{}: the file is larger than 2 GiB; keep weights in external data", path);
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::errorf("{}: cannot open", path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return import_onnx_bytes(bytes, fs::path(path).parent_path().string().empty() ? "." : fs::path(path).parent_path().string(),
                             options, path);
}

}  // namespace kiln

namespace kiln {

Expected<std::vector<std::string>> model_input_names(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::errorf("{}: cannot open", path);
    onnx::ModelProto m;
    if (!m.ParseFromIstream(&in) || !m.has_graph()) return Status::errorf("{}: not a valid ONNX model", path);
    std::set<std::string> inits;
    for (const auto& t : m.graph().initializer()) inits.insert(t.name());
    // I/O that is not a tensor Kiln can hold makes the model unsupported, whatever the test data says; find it
    // here so callers report the model rather than failing on its data files.
    auto check_io = [&](const onnx::ValueInfoProto& v, const char* kind) {
        if (!v.has_type()) return Status::ok();
        if (!v.type().has_tensor_type())
            return Status::errorf("{}: {} '{}' is not a tensor (sequence, map and optional values are not supported)",
                                  path, kind, v.name());
        int t = v.type().tensor_type().elem_type();
        if (!dtype_supported(dtype_from_onnx(t)))
            return Status::errorf("{}: {} '{}' has element type {}, which is not supported", path, kind, v.name(), t);
        return Status::ok();
    };
    std::vector<std::string> names;
    for (const auto& i : m.graph().input()) {
        if (inits.count(i.name())) continue;
        KILN_TRY(check_io(i, "input"));
        names.push_back(i.name());
    }
    for (const auto& o : m.graph().output()) KILN_TRY(check_io(o, "output"));
    return names;
}

}  // namespace kiln
