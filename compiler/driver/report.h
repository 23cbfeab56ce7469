// The compile report: what the passes and the memory planner made of a model, built once from the compiled
// graph and its plan, then written as JSON (`kiln compile --report FILE.json`), as one self-contained HTML
// page with an SVG picture of the arena (FILE.html), or as the text summary `kiln inspect` prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driver/compile_model.h"

namespace kiln {

struct TensorReport {
    std::string name;
    std::string dtype;  // "f32"
    Shape shape;
    std::size_t bytes = 0;
    // Arena slice; unset for graph outputs (the caller's buffer) and constants.
    std::optional<std::size_t> arena_offset;
    bool graph_output = false;
    int first = 0;  // schedule step of the producer
    int last = 0;   // schedule step of the last reader (= first when nothing reads it)
};

struct LayerReport {
    int index = 0;  // schedule step
    std::string name;
    std::string op;  // "Conv"; Kiln-internal and other non-ONNX ops as "domain.Op", e.g. "kiln.FusedConv"
    int64_t macs = 0;
    std::vector<TensorReport> outputs;
    std::optional<std::size_t> workspace_offset;  // kernel scratch, live during this step only
    std::size_t workspace_bytes = 0;
};

// The reference a TFLite-Micro-style planner gives for the same model: the model imported again, only
// infer-shapes, fold-constants and eliminate-dead-code run (no fusion, no in-place, no rescheduling), the
// same arena requests Kiln plans (every intermediate tensor from producer to last reader, kernel scratch
// during its node) placed by plan_greedy_by_size in the file's node order with the target's alignment.
struct TflmReference {
    std::size_t arena_bytes = 0;
    std::size_t naive_bytes = 0;  // sum of those requests: no reuse at all
    int layers = 0;
};
Expected<TflmReference> plan_tflm_reference(const CompileOptions& options);

struct CompileReport {
    std::string model;   // the model path as given
    std::string name;    // C++ namespace
    std::string target;
    std::size_t alignment = 0;
    std::size_t arena_bytes = 0;              // = MemoryPlan::arena_bytes = kArenaBytes in the generated code
    std::size_t arena_lower_bound_bytes = 0;  // peak of live bytes in the schedule
    std::size_t weights_bytes = 0;            // GeneratedCode::weight_bytes
    std::size_t naive_bytes = 0;              // every intermediate tensor and scratch in its own space
    int64_t parameters = 0;                   // elements of the constants nodes read
    int64_t macs = 0;
    std::map<std::string, int> ops;  // op (as LayerReport::op) -> count after passes
    std::vector<TensorReport> inputs, outputs;
    std::vector<LayerReport> layers;  // schedule order
    std::optional<TflmReference> tflm;
};

// `tflm` comes from plan_tflm_reference() (optional: it imports the model a second time).
CompileReport build_report(const CompiledModel& model, const CompileOptions& options,
                           std::optional<TflmReference> tflm = std::nullopt);

// Deterministic renderings: the same report gives the same bytes.
std::string report_json(const CompileReport& r);
std::string report_html(const CompileReport& r);  // defined in report_html.cpp
std::string report_text(const CompileReport& r);  // what `kiln inspect` prints

// "json" or "html" from the file's extension (case-insensitive), or an error naming the path.
Expected<std::string> report_format(const std::string& path);
// Renders the format the extension asks for and writes it atomically (a temporary file renamed into place):
// the path holds the old file or the complete new one, never a partial one.
Status write_report(const CompileReport& r, const std::string& path);

// Text made safe inside HTML/SVG text and attribute values (& < > " ' escaped, control bytes dropped).
std::string html_escape(const std::string& s);

}  // namespace kiln
