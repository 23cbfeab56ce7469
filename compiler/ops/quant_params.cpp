// Checks on quantization parameter inputs, with errors that name the input's role.
#include "ops/quant_params.h"

#include "backends/common/emit_context.h"

namespace kiln {

Status require_q8(NodeCtx& c, std::size_t i, const char* what) {
    DType t = c.in_dtype(i);
    if (t != DType::UInt8 && t != DType::Int8)
        return c.fail("input {} ('{}') has type {}, expected uint8 or int8", i, what, dtype_name(t));
    return Status::ok();
}

Status require_same_type(NodeCtx& c, std::size_t i, const char* what, DType t) {
    if (c.in_dtype(i) != t)
        return c.fail("input {} ('{}') has type {}, expected {}", i, what, dtype_name(c.in_dtype(i)), dtype_name(t));
    return Status::ok();
}

Status require_scale(NodeCtx& c, std::size_t i, const char* what) {
    return require_same_type(c, i, what, DType::Float32);
}

Status require_one_value(NodeCtx& c, std::size_t i, const char* what) {
    if (shape_numel(c.in_shape(i)) != 1)
        return c.fail("input {} ('{}') has shape {}, expected one value (per-tensor)", i, what,
                      shape_str(c.in_shape(i)));
    return Status::ok();
}

Status one_or_n_values(NodeCtx& c, std::size_t i, const char* what, int64_t n, bool* per_element) {
    const Shape& s = c.in_shape(i);
    *per_element = false;
    if (shape_numel(s) == 1 && s.size() <= 1) return Status::ok();
    if (s.size() != 1 || s[0] != n)
        return c.fail("input {} ('{}') has shape {}, expected a scalar or {} values", i, what, shape_str(s), n);
    *per_element = true;
    return Status::ok();
}

std::string optional_input(EmitCtx& c, std::size_t i, const std::string& ctype) {
    return c.has_input(i) ? c.in(i) : fmt::format("static_cast<const {}*>(nullptr)", ctype);
}

}  // namespace kiln
