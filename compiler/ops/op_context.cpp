// Attribute accessors and node-scoped errors.
#include "ops/op_context.h"

namespace kiln {

std::string NodeCtx::where() const {
    std::string op = node_.domain.empty() ? node_.op_type : node_.domain + "." + node_.op_type;
    return fmt::format("node '{}' ({}, opset {})", node_.name, op, node_.opset);
}

Status NodeCtx::record(const std::string& what) {
    Status s = Status::error(where() + ": " + what);
    if (status_.is_ok()) status_ = s;
    return s;
}

std::vector<std::string> NodeCtx::unread_attrs() const {
    std::vector<std::string> v;
    for (const auto& kv : node_.attrs)
        if (!used_attrs_.count(kv.first)) v.push_back(kv.first);
    return v;
}

const Attribute* NodeCtx::find_attr(const std::string& name, Attribute::Kind kind) {
    used_attrs_.insert(name);
    auto it = node_.attrs.find(name);
    if (it == node_.attrs.end()) return nullptr;
    if (it->second.kind != kind) {
        record(fmt::format("attribute '{}' should be {} but is {}", name, attribute_kind_name(kind),
                           attribute_kind_name(it->second.kind)));
        return nullptr;
    }
    return &it->second;
}

int64_t NodeCtx::attr_int(const std::string& name, int64_t def) {
    const Attribute* a = find_attr(name, Attribute::Kind::Int);
    return a ? a->i : def;
}

float NodeCtx::attr_float(const std::string& name, float def) {
    const Attribute* a = find_attr(name, Attribute::Kind::Float);
    return a ? a->f : def;
}

std::string NodeCtx::attr_string(const std::string& name, const std::string& def) {
    const Attribute* a = find_attr(name, Attribute::Kind::String);
    return a ? a->s : def;
}

std::vector<int64_t> NodeCtx::attr_ints(const std::string& name, std::vector<int64_t> def) {
    const Attribute* a = find_attr(name, Attribute::Kind::Ints);
    return a ? a->ints : def;
}

std::vector<float> NodeCtx::attr_floats(const std::string& name, std::vector<float> def) {
    const Attribute* a = find_attr(name, Attribute::Kind::Floats);
    return a ? a->floats : def;
}

std::vector<std::string> NodeCtx::attr_strings(const std::string& name) {
    const Attribute* a = find_attr(name, Attribute::Kind::Strings);
    return a ? a->strings : std::vector<std::string>{};
}

const Tensor* NodeCtx::attr_tensor(const std::string& name) {
    const Attribute* a = find_attr(name, Attribute::Kind::Tensor);
    return a && a->t ? &*a->t : nullptr;
}

int64_t NodeCtx::normalize_axis(int64_t axis, int64_t rank) {
    int64_t lo = -rank, hi = rank - 1;
    if (rank == 0) lo = hi = 0;
    if (axis < lo || axis > hi) {
        record(fmt::format("axis {} is out of range for rank {}", axis, rank));
        return 0;
    }
    return axis < 0 ? axis + rank : axis;
}

void InferCtx::set_output(std::size_t i, DType dtype, Shape shape) {
    if (!has_output(i)) return;
    Value& v = mutable_graph_.value(node_.outputs[i]);
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.shape_known = true;
}

void InferCtx::set_output_constant(std::size_t i, Tensor data) {
    if (!has_output(i)) return;
    set_output(i, data.dtype(), data.shape());
    mutable_graph_.value(node_.outputs[i]).data = std::move(data);
}

Status InferCtx::require_inputs(std::size_t min_count, std::size_t max_count) {
    std::size_t n = num_inputs();
    while (n > 0 && !has_input(n - 1)) --n;
    if (n < min_count || n > max_count) {
        if (min_count == max_count) return fail("expected {} inputs, got {}", min_count, n);
        return fail("expected {} to {} inputs, got {}", min_count, max_count, n);
    }
    for (std::size_t i = 0; i < min_count; ++i)
        if (!has_input(i)) return fail("required input {} is missing", i);
    return Status::ok();
}

Status InferCtx::require_float_input(std::size_t i) {
    if (!dtype_is_float(in_dtype(i)))
        return fail("input {} '{}' has type {}, expected a floating-point type", i, input(i).name,
                    dtype_name(in_dtype(i)));
    // fp16/bf16 reach kernels as raw uint16_t bit patterns: arithmetic on them would be silently wrong.
    if (in_dtype(i) == DType::Float16 || in_dtype(i) == DType::BFloat16)
        return fail("input {} '{}' has type {}, which is not supported (kernels compute in f32 and f64)", i,
                    input(i).name, dtype_name(in_dtype(i)));
    return Status::ok();
}

}  // namespace kiln
