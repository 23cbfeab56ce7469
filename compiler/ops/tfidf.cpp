// TfIdfVectorizer (opset 9) on int32/int64 tokens ([C] or [N, C] -> [max(ngram_indexes) + 1] or [N, ...]):
// n-gram counts with skips, weighed by mode TF/IDF/TFIDF. The pool becomes sorted constant tables here;
// string pools are not supported (Kiln has no string tensors). Kernel: portable/tfidf.h.
#include <algorithm>
#include <map>
#include <vector>

#include "backends/common/c_literals.h"
#include "backends/common/emit_context.h"
#include "backends/portable/kernels/tfidf.h"
#include "ops/registry.h"

namespace kiln {
namespace {

struct TfIdfPlan {
    kernels::TfIdfParams p{};  // the table pointers are set by whoever owns the tables
    std::vector<int64_t> items, level_item, level_first, level_count, column;
    std::vector<float> weights;  // per output column; empty: no weights
    Shape out;
};

Status tfidf_plan(NodeCtx& c, TfIdfPlan* plan) {
    for (const char* required : {"mode", "min_gram_length", "max_gram_length", "max_skip_count", "ngram_counts",
                                 "ngram_indexes"})
        if (!c.has_attr(required)) return c.fail("attribute '{}' is required", required);
    if (c.has_attr("pool_strings")) return c.fail("attribute pool_strings is not supported (no string tensors)");
    if (!c.has_attr("pool_int64s")) return c.fail("attribute 'pool_int64s' is required");
    const std::string mode = c.attr_string("mode", "");
    const int64_t min_n = c.attr_int("min_gram_length", 0), max_n = c.attr_int("max_gram_length", 0);
    const int64_t max_skip = c.attr_int("max_skip_count", 0);
    const std::vector<int64_t> counts = c.attr_ints("ngram_counts"), indexes = c.attr_ints("ngram_indexes");
    const std::vector<int64_t> pool = c.attr_ints("pool_int64s");
    const bool weighted = c.has_attr("weights");
    const std::vector<float> weights = c.attr_floats("weights");
    KILN_TRY(c.status());

    kernels::TfIdfParams& p = plan->p;
    if (mode == "TF") p.mode = kernels::kTfIdfTF;
    else if (mode == "IDF") p.mode = kernels::kTfIdfIDF;
    else if (mode == "TFIDF") p.mode = kernels::kTfIdfTFIDF;
    else return c.fail("attribute mode='{}' is not one of TF, IDF, TFIDF", mode);
    if (min_n < 1 || max_n < min_n || max_n > int64_t(counts.size()))
        return c.fail("min_gram_length={} and max_gram_length={}: expected 1 <= min <= max <= {} (ngram_counts)",
                      min_n, max_n, counts.size());
    if (max_skip < 0 || max_skip > 1000000) return c.fail("max_skip_count={} is out of range", max_skip);
    if (indexes.empty() || *std::min_element(indexes.begin(), indexes.end()) < 0)
        return c.fail("ngram_indexes must be non-empty and non-negative");
    if (weighted && weights.size() != indexes.size())
        return c.fail("weights has {} values for {} ngram_indexes", weights.size(), indexes.size());

    const Shape& x = c.in_shape(0);
    if (x.size() > 2) return c.fail("input has shape {}; expected [C] or [N, C]", shape_str(x));
    const int64_t out_size = *std::max_element(indexes.begin(), indexes.end()) + 1;
    p.rows = x.size() == 2 ? x[0] : 1;
    p.cols = x.empty() ? 1 : x.back();
    p.out_size = out_size;
    p.min_n = int32_t(min_n);
    p.max_n = int32_t(max_n);
    p.max_skip = int32_t(max_skip);
    plan->out = x.size() == 2 ? Shape{x[0], out_size} : Shape{out_size};

    // The pool: level i holds (i + 1)-grams from pool[counts[i]] up to the next level. Every n-gram has an
    // id in pool order, across all levels, that ngram_indexes maps to an output column.
    plan->items.clear();
    plan->column.clear();
    plan->level_item.assign(std::size_t(max_n), 0);
    plan->level_first.assign(std::size_t(max_n), 0);
    plan->level_count.assign(std::size_t(max_n), 0);
    int64_t id = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const int64_t n = int64_t(i) + 1;
        const int64_t start = counts[i];
        const int64_t end = i + 1 < counts.size() ? counts[i + 1] : int64_t(pool.size());
        if (start < 0 || start > end || end > int64_t(pool.size()))
            return c.fail("ngram_counts [{}] do not split the {} pool items into levels", fmt::join(counts, ", "),
                          pool.size());
        if ((end - start) % n != 0) return c.fail("level {} has {} items, not whole {}-grams", i, end - start, n);
        const int64_t grams = (end - start) / n;
        if (n >= min_n && n <= max_n) {
            if (id + grams > int64_t(indexes.size()))
                return c.fail("the pool has more n-grams than the {} ngram_indexes", indexes.size());
            std::map<std::vector<int64_t>, int64_t> sorted;  // n-gram -> column
            for (int64_t g = 0; g < grams; ++g) {
                std::vector<int64_t> gram(pool.begin() + start + g * n, pool.begin() + start + (g + 1) * n);
                if (!sorted.emplace(gram, indexes[std::size_t(id + g)]).second)
                    return c.fail("the pool has the {}-gram [{}] twice", n, fmt::join(gram, ", "));
            }
            plan->level_item[i] = int64_t(plan->items.size());
            plan->level_first[i] = int64_t(plan->column.size());
            plan->level_count[i] = grams;
            for (const auto& [gram, col] : sorted) {
                plan->items.insert(plan->items.end(), gram.begin(), gram.end());
                plan->column.push_back(col);
            }
        }
        id += grams;
    }
    plan->weights.clear();
    if (weighted) {
        plan->weights.assign(std::size_t(out_size), 0.0f);
        for (std::size_t k = 0; k < indexes.size(); ++k) plan->weights[std::size_t(indexes[k])] = weights[k];
    }
    return Status::ok();
}

Status infer_tfidf(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (c.in_dtype(0) != DType::Int32 && c.in_dtype(0) != DType::Int64)
        return c.fail("input has type {}; int32 and int64 tokens are supported", dtype_name(c.in_dtype(0)));
    TfIdfPlan plan;
    KILN_TRY(tfidf_plan(c, &plan));
    c.set_output(0, DType::Float32, plan.out);
    return c.status();
}

Status eval_tfidf(EvalCtx& c) {
    TfIdfPlan plan;
    KILN_TRY(tfidf_plan(c, &plan));
    kernels::TfIdfParams p = plan.p;
    p.items = plan.items.data();
    p.level_item = plan.level_item.data();
    p.level_first = plan.level_first.data();
    p.level_count = plan.level_count.data();
    p.column = plan.column.data();
    p.weights = plan.weights.empty() ? nullptr : plan.weights.data();
    if (c.in(0).dtype() == DType::Int32) kernels::tfidf(c.in(0).data<int32_t>(), c.out(0).data<float>(), p);
    else kernels::tfidf(c.in(0).data<int64_t>(), c.out(0).data<float>(), p);
    return Status::ok();
}

Status emit_tfidf(EmitCtx& c) {
    TfIdfPlan plan;
    KILN_TRY(tfidf_plan(c, &plan));
    if (c.output(0).numel() == 0) return Status::ok();
    c.use_kernel("portable/tfidf.h");
    const kernels::TfIdfParams& p = plan.p;
    // Tables first, in a fixed order: the parameter block points at them.
    const std::string items = c.define_int_array(plan.items, "items");
    const std::string level_item = c.define_int_array(plan.level_item, "level_item");
    const std::string level_first = c.define_int_array(plan.level_first, "level_first");
    const std::string level_count = c.define_int_array(plan.level_count, "level_count");
    const std::string column = c.define_int_array(plan.column, "column");
    std::string weights = "nullptr";
    if (!plan.weights.empty()) {
        std::vector<std::string> w;
        for (float v : plan.weights) w.push_back(c_float(v));
        const std::string type = fmt::format("k::TfIdfWeights<{}>", w.size());
        weights = c.define_params(type, fmt::format("{{{{{}}}}}", fmt::join(w, ", ")), "weights") + ".w";
    }
    const std::string params = c.define_params(
        "k::TfIdfParams", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", p.rows, p.cols,
                                      p.out_size, p.min_n, p.max_n, p.max_skip, p.mode, items, level_item,
                                      level_first, level_count, column, weights));
    c.call("k::tfidf({}, {}, {});", c.in(0), c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(TfIdfVectorizer, infer_tfidf, eval_tfidf, emit_tfidf)
