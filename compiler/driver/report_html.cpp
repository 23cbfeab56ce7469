// The HTML report: one self-contained page (no external scripts or styles) with the summary, the op counts,
// an SVG picture of the memory plan (each arena tensor a box over its lifetime in schedule steps x its arena
// bytes, hover titles naming it) and the per-layer table. Every string taken from the model is escaped.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "driver/report.h"

namespace kiln {

namespace {

// Plot area of the SVG, in user units.
constexpr double kLeft = 96, kTop = 24, kWidth = 1000, kHeight = 480, kRight = 150, kBottom = 40;

std::string kib(std::size_t bytes) {
    return bytes < 1024 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} KiB", double(bytes) / 1024.0);
}

std::string ratio(std::size_t a, std::size_t b) {
    return b ? fmt::format("{:.3f}", double(a) / double(b)) : "-";
}

// One colour per op type of the report, hues a golden angle apart so that neighbours in the list differ.
std::map<std::string, std::string> op_colours(const CompileReport& r) {
    std::map<std::string, std::string> colours;
    int k = 0;
    for (const auto& kv : r.ops) colours[kv.first] = fmt::format("hsl({:.0f},62%,68%)", std::fmod(k++ * 137.508, 360.0));
    return colours;
}

std::string shape_text(const TensorReport& t) { return fmt::format("{}[{}]", t.dtype, shape_str(t.shape)); }

void summary_row(std::string& s, const std::string& what, const std::string& value, const std::string& note = "") {
    s += fmt::format("<tr><th class=\"l\">{}</th><td>{}</td><td class=\"l\">{}</td></tr>\n", what, value, note);
}

std::string svg_plan(const CompileReport& r, const std::map<std::string, std::string>& colour) {
    const int steps = std::max<int>(1, int(r.layers.size()));
    const std::size_t top = std::max<std::size_t>({r.arena_bytes, r.arena_lower_bound_bytes, 1});
    const double sx = kWidth / steps, sy = kHeight / double(top);
    auto ypos = [&](std::size_t bytes) { return kTop + kHeight - double(bytes) * sy; };
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "role=\"img\" aria-label=\"arena plan\">\n",
        kLeft + kWidth + kRight, kTop + kHeight + kBottom);
    s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", kLeft, kTop, kWidth,
                     kHeight);
    for (int k = 0; k <= 4; ++k) {  // offset axis
        std::size_t bytes = top * std::size_t(k) / 4;
        s += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6,
                         ypos(bytes) + 4, kib(bytes));
    }
    const int tick = std::max(1, steps / 10);
    for (int k = 0; k < steps; k += tick)  // schedule axis
        s += fmt::format("<text class=\"axis\" x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                         kLeft + (k + 0.5) * sx, kTop + kHeight + 16, k);
    s += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">schedule step (layer)</text>\n",
                     kLeft + kWidth / 2, kTop + kHeight + 34);
    auto box = [&](const char* cls, const std::string& fill, int first, int last, std::size_t offset,
                   std::size_t bytes, const std::string& title) {
        s += fmt::format("<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                         "fill=\"{}\"><title>{}</title></rect>\n",
                         cls, kLeft + first * sx, ypos(offset + bytes), (last - first + 1) * sx,
                         std::max(double(bytes) * sy, 0.5), fill, title);
    };
    for (const LayerReport& l : r.layers) {
        for (const TensorReport& t : l.outputs) {
            if (!t.arena_offset) continue;
            box("tensor", colour.at(l.op), t.first, t.last, *t.arena_offset, t.bytes,
                html_escape(fmt::format("{} = {} (layer {} '{}')\n{}, {} bytes at offset {}\nlive in steps {}-{}",
                                        t.name, l.op, l.index, l.name, shape_text(t), t.bytes, *t.arena_offset,
                                        t.first, t.last)));
        }
        if (l.workspace_offset)
            box("workspace", "#c8c8c8", l.index, l.index, *l.workspace_offset, l.workspace_bytes,
                html_escape(fmt::format("scratch of layer {} '{}' ({})\n{} bytes at offset {}", l.index, l.name, l.op,
                                        l.workspace_bytes, *l.workspace_offset)));
    }
    auto hline = [&](const char* cls, std::size_t bytes, const std::string& label, double label_dy) {
        double y = ypos(bytes);
        s += fmt::format("<line class=\"{}\" x1=\"{}\" y1=\"{:.2f}\" x2=\"{}\" y2=\"{:.2f}\"/>\n", cls, kLeft, y,
                         kLeft + kWidth, y);
        s += fmt::format("<text class=\"{}-label\" x=\"{}\" y=\"{:.2f}\">{}</text>\n", cls, kLeft + kWidth + 6,
                         y + label_dy, label);
    };
    // When the plan meets its bound the two lines coincide: the labels go above and below them.
    const bool close = ypos(r.arena_lower_bound_bytes) - ypos(r.arena_bytes) < 14;
    hline("arena", r.arena_bytes, fmt::format("arena {}", kib(r.arena_bytes)), close ? -4 : 4);
    hline("lower-bound", r.arena_lower_bound_bytes, fmt::format("lower bound {}", kib(r.arena_lower_bound_bytes)),
          close ? 14 : 4);
    s += "</svg>\n";
    return s;
}

const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
.l{text-align:left}th{background:#f2f2f2}code{font-size:90%}
svg{background:#fff}rect.frame{fill:#fafafa;stroke:#999}rect.tensor,rect.workspace{stroke:#444;stroke-width:0.4}
rect.tensor:hover,rect.workspace:hover{stroke:#000;stroke-width:2}text.axis{font-size:11px;fill:#555}
line.arena{stroke:#222;stroke-width:1}line.lower-bound{stroke:#c00;stroke-width:1.5;stroke-dasharray:6 3}
text.arena-label{font-size:12px;fill:#222}text.lower-bound-label{font-size:12px;fill:#c00}
span.swatch{display:inline-block;width:0.9em;height:0.9em;border:1px solid #444;vertical-align:middle})";

}  // namespace

std::string report_html(const CompileReport& r) {
    const std::map<std::string, std::string> colours = op_colours(r);
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    s += fmt::format("<title>Kiln report: {}</title>\n<style>\n{}\n</style>\n</head>\n<body>\n",
                     html_escape(r.model), kStyle);
    s += fmt::format("<h1>Kiln report: <code>{}</code></h1>\n", html_escape(r.model));
    s += "<table class=\"summary\">\n";
    summary_row(s, "C++ name", html_escape(r.name));
    summary_row(s, "target", html_escape(r.target), fmt::format("alignment {} bytes", r.alignment));
    summary_row(s, "layers", std::to_string(r.layers.size()), "after passes");
    summary_row(s, "arena", fmt::format("{} bytes", r.arena_bytes), kib(r.arena_bytes) + ", kArenaBytes");
    summary_row(s, "lower bound", fmt::format("{} bytes", r.arena_lower_bound_bytes),
                "peak of live bytes in the schedule; arena / lower bound = " +
                    ratio(r.arena_bytes, r.arena_lower_bound_bytes));
    summary_row(s, "naive", fmt::format("{} bytes", r.naive_bytes),
                "every intermediate in its own space; arena / naive = " + ratio(r.arena_bytes, r.naive_bytes));
    if (r.tflm)
        summary_row(s, "TFLM-style greedy", fmt::format("{} bytes", r.tflm->arena_bytes),
                    fmt::format("greedy by size over the unfused graph ({} layers) in file order; arena / it = {}",
                                r.tflm->layers, ratio(r.arena_bytes, r.tflm->arena_bytes)));
    summary_row(s, "weights", fmt::format("{} bytes", r.weights_bytes), fmt::format("{} parameters", r.parameters));
    summary_row(s, "MACs", std::to_string(r.macs));
    s += "</table>\n<h2>Ops after passes</h2>\n<table class=\"ops\">\n<tr><th class=\"l\">op</th><th>count</th></tr>\n";
    for (const auto& [op, count] : r.ops)
        s += fmt::format("<tr><td class=\"l\"><span class=\"swatch\" style=\"background:{}\"></span> {}</td><td>{}</td></tr>\n",
                         colours.at(op), html_escape(op), count);
    s += "</table>\n<h2>Arena plan</h2>\n<p>Each box is a tensor in the arena: from the step that produces it to "
         "the last step that reads it (x), at its arena offset and size (y); grey boxes are kernel scratch. "
         "The dashed red line is the lower bound. Hover a box for its name.</p>\n";
    s += svg_plan(r, colours);
    s += "<h2>Layers in schedule order</h2>\n<table class=\"layers\">\n<tr><th>#</th><th class=\"l\">layer</th>"
         "<th class=\"l\">op</th><th class=\"l\">output</th><th>MACs</th><th>arena offset</th><th>bytes</th>"
         "<th>live until</th><th>scratch</th></tr>\n";
    for (const LayerReport& l : r.layers) {
        std::size_t rows = std::max<std::size_t>(1, l.outputs.size());
        for (std::size_t k = 0; k < rows; ++k) {
            s += "<tr>";
            if (k == 0)
                s += fmt::format("<td rowspan=\"{0}\">{1}</td><td class=\"l\" rowspan=\"{0}\">{2}</td>"
                                 "<td class=\"l\" rowspan=\"{0}\">{3}</td>",
                                 rows, l.index, html_escape(l.name), html_escape(l.op));
            if (k < l.outputs.size()) {
                const TensorReport& t = l.outputs[k];
                s += fmt::format("<td class=\"l\">{} {}</td>", html_escape(t.name), html_escape(shape_text(t)));
            } else {
                s += "<td></td>";
            }
            if (k == 0) s += fmt::format("<td rowspan=\"{}\">{}</td>", rows, l.macs);
            if (k < l.outputs.size()) {
                const TensorReport& t = l.outputs[k];
                s += fmt::format("<td>{}</td><td>{}</td><td>{}</td>",
                                 t.arena_offset ? std::to_string(*t.arena_offset) : t.graph_output ? "output" : "-",
                                 t.bytes, t.last);
            } else {
                s += "<td></td><td></td><td></td>";
            }
            if (k == 0)
                s += fmt::format("<td rowspan=\"{}\">{}</td>", rows,
                                 l.workspace_offset ? fmt::format("{} @ {}", l.workspace_bytes, *l.workspace_offset)
                                                    : std::string());
            s += "</tr>\n";
        }
    }
    s += "</table>\n</body>\n</html>\n";
    return s;
}

}  // namespace kiln
