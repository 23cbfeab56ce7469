// Einsum equation parsing and loop planning (see einsum_plan.h). Semantics follow numpy.einsum, which
// made the ONNX test data: implicit output = "..." dims then the labels used once, in sorted order;
// a label (or ellipsis dim) of size 1 broadcasts against any size; an explicit output must keep "..."
// when the ellipsis stands for any dims.
#include "ops/einsum_plan.h"

#include <algorithm>
#include <map>

namespace kiln {
namespace {

constexpr int kLetters = 52;  // labels 0..51; the ellipsis dims are kLetters + 0, 1, ...

int letter_label(char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
    return -1;
}

std::string label_name(int label) {
    if (label < 26) return std::string(1, char('A' + label));
    if (label < kLetters) return std::string(1, char('a' + label - 26));
    return fmt::format("...[{}]", label - kLetters);
}

// The label of each dim of a term whose ellipsis stands for `ell_dims` of the `ell_total` ellipsis dims
// (right-aligned, as numpy broadcasts).
std::vector<int> dim_labels(const EinsumTerm& t, int ell_dims, int ell_total) {
    std::vector<int> out;
    for (std::size_t i = 0; i <= t.labels.size(); ++i) {
        if (int(i) == t.ellipsis)
            for (int e = ell_total - ell_dims; e < ell_total; ++e) out.push_back(kLetters + e);
        if (i < t.labels.size()) out.push_back(t.labels[i]);
    }
    return out;
}

Shape row_major_strides(const Shape& s) {
    Shape st(s.size());
    int64_t stride = 1;
    for (std::size_t d = s.size(); d-- > 0;) {
        st[d] = stride;
        stride *= s[d];
    }
    return st;
}

}  // namespace

Expected<EinsumEquation> parse_einsum(const std::string& equation) {
    auto fail = [&](const std::string& what) {
        return Status::errorf("equation '{}': {}", printable(equation), what);
    };
    EinsumEquation eq;
    EinsumTerm term;
    bool in_output = false;
    auto term_name = [&]() {
        return in_output ? std::string("the output") : fmt::format("input term {}", eq.inputs.size());
    };
    for (std::size_t i = 0; i < equation.size();) {
        const char ch = equation[i];
        if (ch == ' ') {
            ++i;
        } else if (letter_label(ch) >= 0) {
            term.labels.push_back(letter_label(ch));
            ++i;
        } else if (ch == '.') {
            if (equation.compare(i, 3, "...") != 0)
                return fail(fmt::format("'.' at position {} is not part of '...'", i));
            if (term.ellipsis >= 0) return fail(fmt::format("{} has a second '...' at position {}", term_name(), i));
            term.ellipsis = int(term.labels.size());
            i += 3;
        } else if (ch == ',' && !in_output) {
            eq.inputs.push_back(term);
            term = EinsumTerm();
            ++i;
        } else if (ch == '-' && equation.compare(i, 2, "->") == 0 && !in_output) {
            eq.inputs.push_back(term);
            term = EinsumTerm();
            in_output = true;
            i += 2;
        } else {
            return fail(fmt::format("unexpected '{}' at position {}", printable(std::string(1, ch)), i));
        }
    }
    if (!in_output) {
        eq.inputs.push_back(term);
        return eq;
    }
    eq.output = term;
    eq.explicit_output = true;
    std::vector<bool> in_inputs(kLetters, false), in_output_seen(kLetters, false);
    bool any_ellipsis = false;
    for (const EinsumTerm& t : eq.inputs) {
        for (int l : t.labels) in_inputs[std::size_t(l)] = true;
        any_ellipsis = any_ellipsis || t.ellipsis >= 0;
    }
    for (int l : eq.output.labels) {
        if (!in_inputs[std::size_t(l)])
            return fail(fmt::format("output label '{}' is not in any input", label_name(l)));
        if (in_output_seen[std::size_t(l)]) return fail(fmt::format("output label '{}' appears twice", label_name(l)));
        in_output_seen[std::size_t(l)] = true;
    }
    if (eq.output.ellipsis >= 0 && !any_ellipsis) return fail("the output has '...' but no input has");
    return eq;
}

Expected<EinsumPlan> plan_einsum(const std::string& equation, const std::vector<Shape>& inputs, bool accumulate) {
    Expected<EinsumEquation> parsed = parse_einsum(equation);
    if (!parsed) return parsed.status();
    const EinsumEquation& eq = *parsed;
    auto fail = [&](const std::string& what) {
        return Status::errorf("equation '{}': {}", printable(equation), what);
    };
    if (eq.inputs.size() != inputs.size())
        return fail(fmt::format("has {} input terms for {} inputs", eq.inputs.size(), inputs.size()));

    // How many dims each ellipsis stands for; all of them broadcast against each other.
    std::vector<int> ell_dims(inputs.size(), 0);
    int ell_total = 0;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const EinsumTerm& t = eq.inputs[k];
        const int rank = int(inputs[k].size()), named = int(t.labels.size());
        if (t.ellipsis < 0 && rank != named)
            return fail(fmt::format("input {} has rank {} but its term names {} dims", k, rank, named));
        if (rank < named)
            return fail(fmt::format("input {} has rank {}, fewer than the {} labels of its term", k, rank, named));
        ell_dims[k] = rank - named;
        ell_total = std::max(ell_total, ell_dims[k]);
    }

    // Label sizes: repeats within one input (diagonals) must agree exactly, across inputs 1 broadcasts.
    const std::size_t num_labels = std::size_t(kLetters + ell_total);
    std::vector<int64_t> size(num_labels, -1);
    std::vector<int> uses(num_labels, 0);
    std::vector<std::vector<int>> labels_of(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        labels_of[k] = dim_labels(eq.inputs[k], ell_dims[k], ell_total);
        std::map<int, int64_t> here;
        for (std::size_t d = 0; d < labels_of[k].size(); ++d) {
            const int l = labels_of[k][d];
            const int64_t s = inputs[k][d];
            ++uses[std::size_t(l)];
            auto seen = here.find(l);
            if (seen != here.end()) {
                if (seen->second != s)
                    return fail(fmt::format("label '{}' repeats in input {} with sizes {} and {}", label_name(l), k,
                                            seen->second, s));
                continue;
            }
            here[l] = s;
            int64_t& global = size[std::size_t(l)];
            if (global < 0 || global == 1) global = s;
            else if (s != global && s != 1)
                return fail(fmt::format("label '{}' has size {} in input {} but {} in an earlier input", label_name(l),
                                        s, k, global));
        }
    }

    // Output labels, in output order.
    std::vector<int> out_labels;
    if (eq.explicit_output) {
        if (eq.output.ellipsis < 0 && ell_total > 0)
            return fail(fmt::format("the inputs' '...' stands for {} dims, so the output needs '...' too", ell_total));
        out_labels = dim_labels(eq.output, ell_total, ell_total);
    } else {
        for (int e = 0; e < ell_total; ++e) out_labels.push_back(kLetters + e);
        for (int l = 0; l < kLetters; ++l)
            if (uses[std::size_t(l)] == 1) out_labels.push_back(l);
    }
    std::vector<bool> is_out(num_labels, false);
    EinsumPlan plan;
    for (int l : out_labels) {
        is_out[std::size_t(l)] = true;
        plan.out_shape.push_back(size[std::size_t(l)]);
    }

    // Strides per label: a repeated label walks the diagonal (its strides add), a broadcast dim stays.
    std::vector<int64_t> out_stride(num_labels, 0);
    const Shape ost = row_major_strides(plan.out_shape);
    for (std::size_t d = 0; d < out_labels.size(); ++d) out_stride[std::size_t(out_labels[d])] = ost[d];
    std::vector<std::vector<int64_t>> in_stride(inputs.size(), std::vector<int64_t>(num_labels, 0));
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const Shape st = row_major_strides(inputs[k]);
        for (std::size_t d = 0; d < labels_of[k].size(); ++d)
            if (inputs[k][d] != 1) in_stride[k][std::size_t(labels_of[k][d])] += st[d];
    }

    // Loop order. Output labels outermost in output order, so the output is written in sequence; summed
    // labels inside them, the one with the smallest input strides innermost (a dot product). Matmul-like
    // equations, whose last output label is contiguous or constant in every input, instead put that label
    // innermost: y[row] += a * b[row] over contiguous rows.
    std::vector<int> outer, summed;
    for (int l : out_labels)
        if (size[std::size_t(l)] != 1) outer.push_back(l);
    for (std::size_t l = 0; l < num_labels; ++l)
        if (uses[l] > 0 && !is_out[l] && size[l] != 1) summed.push_back(int(l));
    auto stride_sum = [&](int l) {
        int64_t s = 0;
        for (std::size_t k = 0; k < inputs.size(); ++k) s += in_stride[k][std::size_t(l)];
        return s;
    };
    std::stable_sort(summed.begin(), summed.end(), [&](int a, int b) { return stride_sum(a) > stride_sum(b); });
    bool row_innermost = accumulate && !outer.empty() && !summed.empty();
    if (row_innermost) {
        bool some_contiguous = false;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const int64_t s = in_stride[k][std::size_t(outer.back())];
            if (s > 1) row_innermost = false;
            some_contiguous = some_contiguous || s == 1;
        }
        row_innermost = row_innermost && some_contiguous;
    }
    std::vector<int> order(outer.begin(), outer.end() - (row_innermost ? 1 : 0));
    order.insert(order.end(), summed.begin(), summed.end());
    if (row_innermost) order.push_back(outer.back());
    plan.split = row_innermost ? int(order.size()) : int(outer.size());

    plan.in_strides.assign(inputs.size(), {});
    for (int l : order) {
        plan.sizes.push_back(size[std::size_t(l)]);
        plan.out_strides.push_back(out_stride[std::size_t(l)]);
        for (std::size_t k = 0; k < inputs.size(); ++k) plan.in_strides[k].push_back(in_stride[k][std::size_t(l)]);
    }
    return plan;
}

}  // namespace kiln
