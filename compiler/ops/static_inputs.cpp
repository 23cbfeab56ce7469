// Constant-input readers with errors that explain why a run-time value is not accepted.
#include "ops/static_inputs.h"

namespace kiln {

namespace {
const Tensor* static_input(NodeCtx& c, std::size_t i, const char* what) {
    const Tensor* t = c.const_input(i);
    if (!t)
        c.fail("input {} ('{}', the {}) must be a compile-time constant: Kiln fixes shapes and loops when compiling", i,
               c.has_input(i) ? c.input(i).name : std::string(), what);
    return t;
}
}  // namespace

Status static_ints(NodeCtx& c, std::size_t i, const char* what, std::vector<int64_t>* out) {
    const Tensor* t = static_input(c, i, what);
    if (!t) return c.status();
    if (!dtype_is_integer(t->dtype()))
        return c.fail("input {} ({}) has type {}, expected an integer type", i, what, dtype_name(t->dtype()));
    *out = t->to_int64_vector();
    return Status::ok();
}

Status static_scalar(NodeCtx& c, std::size_t i, const char* what, double* out) {
    const Tensor* t = static_input(c, i, what);
    if (!t) return c.status();
    if (t->numel() != 1) return c.fail("input {} ({}) should hold one value, has shape {}", i, what, shape_str(t->shape()));
    *out = t->as_double(0);
    return Status::ok();
}

}  // namespace kiln
