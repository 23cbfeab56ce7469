# System dependencies (Debian 12 packages; nothing is vendored). See README for the apt-get line.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(CLI11 REQUIRED)

# libonnx-dev's generated headers need these to pick the onnx-ml schema in the `onnx` namespace.
add_library(kiln_onnx INTERFACE)
target_link_libraries(kiln_onnx INTERFACE onnx_proto protobuf::libprotobuf)
target_compile_definitions(kiln_onnx INTERFACE ONNX_ML=1 ONNX_NAMESPACE=onnx)
add_library(kiln::onnx ALIAS kiln_onnx)
