// Host tensor: dtype, static shape and contiguous row-major bytes. Used for constants in the IR and by
// the reference evaluator.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ir/dtype.h"

namespace kiln {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
// Most elements one tensor may have (16 GiB of floats). Shapes from a model beyond it are hostile or broken, and
// the products of their dims could overflow into small, wrong sizes.
constexpr int64_t kMaxTensorElements = int64_t(1) << 32;
// shape_numel, or -1 when a dim is negative or the count exceeds kMaxTensorElements.
int64_t checked_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "1x3x224x224", "scalar" for rank 0

class Tensor {
public:
    Tensor() = default;
    Tensor(DType dtype, Shape shape);  // zero-filled

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t numel() const { return shape_numel(shape_); }
    std::size_t nbytes() const { return bytes_.size(); }
    int rank() const { return int(shape_.size()); }

    uint8_t* raw() { return bytes_.data(); }
    const uint8_t* raw() const { return bytes_.data(); }
    template <typename T> T* data() { return reinterpret_cast<T*>(bytes_.data()); }
    template <typename T> const T* data() const { return reinterpret_cast<const T*>(bytes_.data()); }

    // Element i converted to double / int64 whatever the dtype (for shape tensors, attributes, printing).
    double as_double(int64_t i) const;
    int64_t as_int64(int64_t i) const;
    std::vector<int64_t> to_int64_vector() const;
    void set_from_double(int64_t i, double v);

    void reshape(Shape s) { shape_ = std::move(s); }
    bool same_bytes(const Tensor& o) const {
        return dtype_ == o.dtype_ && shape_ == o.shape_ && bytes_ == o.bytes_;
    }

private:
    DType dtype_ = DType::Float32;
    Shape shape_;
    std::vector<uint8_t> bytes_;
};

}  // namespace kiln
