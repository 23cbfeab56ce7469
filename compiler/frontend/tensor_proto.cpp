// TensorProto <-> Tensor: raw_data, the typed repeated fields, and external data files.
#include <filesystem>
#include <fstream>
#include <limits>

#include <onnx/onnx_pb.h>

#include "frontend/onnx_import.h"

namespace kiln {

namespace fs = std::filesystem;

namespace {


Expected<std::string> read_external(const onnx::TensorProto& p, const std::string& base_dir, std::size_t want) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& kv : p.external_data()) {
        if (kv.key() == "location") location = kv.value();
        else if (kv.key() == "offset") offset = std::strtoll(kv.value().c_str(), nullptr, 10);
        else if (kv.key() == "length") length = std::strtoll(kv.value().c_str(), nullptr, 10);
    }
    if (base_dir.empty()) return Status::errorf("tensor '{}': external data is not allowed here", p.name());
    fs::path rel(location);
    if (location.empty() || rel.is_absolute() || rel.lexically_normal().string().rfind("..", 0) == 0)
        return Status::errorf("tensor '{}': external data location '{}' must be a relative path inside the model's folder",
                              p.name(), location);
    fs::path file = fs::path(base_dir) / rel;
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::errorf("tensor '{}': cannot open external data file '{}'", p.name(), file.string());
    if (length < 0) length = int64_t(want);
    if (offset < 0 || std::size_t(length) != want)
        return Status::errorf("tensor '{}': external data has length {} but the tensor needs {} bytes", p.name(),
                              length, want);
    std::error_code ec;
    uintmax_t size = fs::file_size(file, ec);
    if (ec || size < uintmax_t(offset) || size - uintmax_t(offset) < want)
        return Status::errorf("tensor '{}': external data file '{}' is shorter than offset {} + {} bytes", p.name(),
                              file.string(), offset, want);
    in.seekg(offset);
    std::string buf(want, '\0');
    in.read(buf.data(), std::streamsize(want));
    if (std::size_t(in.gcount()) != want)
        return Status::errorf("tensor '{}': external data file '{}' is shorter than offset {} + {} bytes", p.name(),
                              file.string(), offset, want);
    return buf;
}

}  // namespace

Expected<Tensor> tensor_from_proto(const onnx::TensorProto& p, const std::string& base_dir) {
    DType dt = dtype_from_onnx(p.data_type());
    if (!dtype_supported(dt))
        return Status::errorf("tensor '{}': element type {} is not supported", p.name(), p.data_type());
    Shape shape(p.dims().begin(), p.dims().end());
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return Status::errorf("tensor '{}': negative dimension {}", p.name(), d);
        if (d != 0 && n > kMaxTensorElements / d) return Status::errorf("tensor '{}': too many elements", p.name());
        n *= d;
    }
    if (p.has_segment())
        return Status::errorf("tensor '{}': segmented tensors are not supported", p.name());
    // The data must be there before the tensor is allocated: a header alone can claim gigabytes.
    const std::size_t want = std::size_t(n) * dtype_size(dt);
    if (p.data_location() == onnx::TensorProto::EXTERNAL) {
        Expected<std::string> bytes = read_external(p, base_dir, want);
        if (!bytes) return bytes.status();
        Tensor t(dt, shape);
        std::memcpy(t.raw(), bytes->data(), want);
        return t;
    }
    if (p.has_raw_data()) {
        if (p.raw_data().size() != want)
            return Status::errorf("tensor '{}': raw_data has {} bytes but shape {} of {} needs {}", p.name(),
                                  p.raw_data().size(), shape_str(shape), dtype_name(dt), want);
        Tensor t(dt, shape);
        if (want) std::memcpy(t.raw(), p.raw_data().data(), want);  // little-endian hosts only, as ONNX specifies
        return t;
    }
    int64_t got = 0;
    switch (dt) {
    case DType::Float32: got = p.float_data_size(); break;
    case DType::Float64: got = p.double_data_size(); break;
    case DType::Int64: got = p.int64_data_size(); break;
    case DType::UInt32:
    case DType::UInt64: got = p.uint64_data_size(); break;
    default: got = p.int32_data_size(); break;
    }
    if (got != n)
        return Status::errorf("tensor '{}': has {} elements of data but its shape {} needs {}", p.name(), got,
                              shape_str(shape), n);
    Tensor t(dt, shape);
    switch (dt) {
    case DType::Float32:
        for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = p.float_data(int(i));
        break;
    case DType::Float64:
        for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = p.double_data(int(i));
        break;
    case DType::Int64:
        for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = p.int64_data(int(i));
        break;
    case DType::UInt32:
    case DType::UInt64:
        for (int64_t i = 0; i < n; ++i) {
            uint64_t v = p.uint64_data(int(i));
            if (dt == DType::UInt32) t.data<uint32_t>()[i] = uint32_t(v);
            else t.data<uint64_t>()[i] = v;
        }
        break;
    default:  // int32_data carries int8/16/32, uint8/16, bool and fp16/bf16 bit patterns
        for (int64_t i = 0; i < n; ++i) {
            int32_t v = p.int32_data(int(i));
            switch (dt) {
            case DType::Float16:
            case DType::BFloat16:
            case DType::UInt16: t.data<uint16_t>()[i] = uint16_t(v); break;
            case DType::Int16: t.data<int16_t>()[i] = int16_t(v); break;
            case DType::Int8: t.data<int8_t>()[i] = int8_t(v); break;
            case DType::UInt8: t.data<uint8_t>()[i] = uint8_t(v); break;
            case DType::Bool: t.data<uint8_t>()[i] = v != 0; break;
            case DType::Int32: t.data<int32_t>()[i] = v; break;
            default: return Status::errorf("tensor '{}': no data", p.name());
            }
        }
        break;
    }
    return t;
}

Expected<Tensor> load_tensor_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::errorf("{}: cannot open tensor file", path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    onnx::TensorProto p;
    if (bytes.size() > std::size_t(std::numeric_limits<int>::max()) || !p.ParseFromString(bytes))
        return Status::errorf("{}: not a serialized ONNX TensorProto", path);
    Expected<Tensor> t = tensor_from_proto(p, fs::path(path).parent_path().string());
    if (!t) return t.status().with_prefix(path + ": ");
    return t;
}

Status save_tensor_file(const Tensor& t, const std::string& name, const std::string& path) {
    onnx::TensorProto p;
    p.set_name(name);
    p.set_data_type(int(t.dtype()));
    for (int64_t d : t.shape()) p.add_dims(d);
    p.set_raw_data(std::string(reinterpret_cast<const char*>(t.raw()), t.nbytes()));
    std::ofstream out(path, std::ios::binary);
    if (!out || !p.SerializeToOstream(&out)) return Status::errorf("{}: cannot write tensor file", path);
    return Status::ok();
}

Expected<Shape> parse_shape(const std::string& text) {
    Shape s;
    if (text.empty() || text == "scalar") return s;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t x = text.find_first_of("x,", pos);
        std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
        if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos || part.size() > 12)
            return Status::errorf("'{}' is not a shape like 1x3x224x224", text);
        s.push_back(std::stoll(part));
        if (x == std::string::npos) break;
        pos = x + 1;
    }
    return s;
}

}  // namespace kiln
