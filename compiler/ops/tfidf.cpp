// TfIdfVectorizer (opset 9) on int32/int64 tokens (pool_int64s; string pools are refused: Kiln has no
// string tensors): n-gram lengths, skips, TF/IDF/TFIDF weighting. The pool and its per-length table are
// compile-time arrays. Kernel: backends/portable/kernels/tfidf.h.
#include <algorithm>
#include <set>

#include "backends/common/emit_context.h"
#include "backends/portable/kernels/tfidf.h"
#include "ops/registry.h"

namespace kiln {
namespace {

struct TfIdfPlan {
    kernels::TfIdfParams params;
    std::vector<int64_t> pool, grams, ngram_indexes;
    Tensor weights;
};

Expected<TfIdfPlan> tfidf_plan(NodeCtx& c) {
    const Shape& s = c.in_shape(0);
    TfIdfPlan plan;
    kernels::TfIdfParams& p = plan.params;
    p.min_gram = c.attr_int("min_gram_length", 0);
    p.max_gram = c.attr_int("max_gram_length", 0);
    p.max_skip = c.attr_int("max_skip_count", 0);
    const std::string mode = c.attr_string("mode", "");
    const std::vector<int64_t> counts = c.attr_ints("ngram_counts");
    plan.ngram_indexes = c.attr_ints("ngram_indexes");
    plan.pool = c.attr_ints("pool_int64s");
    const bool has_weights = c.has_attr("weights");
    const std::vector<float> weights = c.attr_floats("weights");
    if (c.has_attr("pool_strings")) return c.fail("attribute pool_strings is not supported (Kiln has no string tensors)");
    KILN_TRY(c.status());
    if (s.empty() || s.size() > 2) return c.fail("input shape {} should be [C] or [N, C]", shape_str(s));
    p.rows = s.size() == 2 ? s[0] : 1;
    p.cols = s.back();
    if (p.min_gram < 1 || p.max_gram < p.min_gram || p.max_skip < 0)
        return c.fail("min_gram_length={}, max_gram_length={}, max_skip_count={} are not valid", p.min_gram, p.max_gram,
                      p.max_skip);
    if (mode == "TF") p.mode = 0;
    else if (mode == "IDF") p.mode = 1;
    else if (mode == "TFIDF") p.mode = 2;
    else return c.fail("attribute mode='{}' is not supported (TF, IDF or TFIDF)", mode);
    // Per n-gram length: where its n-grams start in the pool, the index of the first, how many there are.
    const int64_t pool_size = int64_t(plan.pool.size());
    int64_t index = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const int64_t n = int64_t(k) + 1;
        const int64_t begin = counts[k], end = k + 1 < counts.size() ? counts[k + 1] : pool_size;
        if (begin < 0 || end < begin || end > pool_size || (end - begin) % n != 0)
            return c.fail("ngram_counts [{}] does not split a pool of {} into whole n-grams", fmt::join(counts, ", "),
                          pool_size);
        plan.grams.insert(plan.grams.end(), {begin, index, (end - begin) / n});
        index += (end - begin) / n;
    }
    p.num_ngrams = index;
    p.max_gram = std::min(p.max_gram, int64_t(counts.size()));  // longer n-grams are not in the pool
    if (int64_t(plan.ngram_indexes.size()) != p.num_ngrams)
        return c.fail("ngram_indexes has {} entries for {} n-grams in the pool", plan.ngram_indexes.size(), p.num_ngrams);
    std::set<int64_t> seen;
    for (int64_t o : plan.ngram_indexes)
        if (o < 0 || !seen.insert(o).second) return c.fail("ngram_indexes has {} negative or repeated", o);
    p.out_len = seen.empty() ? 0 : *seen.rbegin() + 1;
    if (has_weights && int64_t(weights.size()) != p.num_ngrams)
        return c.fail("weights has {} entries for {} n-grams", weights.size(), p.num_ngrams);
    plan.weights = Tensor(DType::Float32, {std::max<int64_t>(p.num_ngrams, 1)});
    for (int64_t i = 0; i < p.num_ngrams; ++i)
        plan.weights.data<float>()[i] = has_weights ? weights[std::size_t(i)] : 1.0f;
    return plan;
}

Status infer_tfidf(InferCtx& c) {
    KILN_TRY(c.require_inputs(1, 1));
    if (c.in_dtype(0) != DType::Int32 && c.in_dtype(0) != DType::Int64)
        return c.fail("input has type {}, expected int32 or int64 tokens", dtype_name(c.in_dtype(0)));
    Expected<TfIdfPlan> plan = tfidf_plan(c);
    if (!plan) return plan.status();
    const kernels::TfIdfParams& p = plan->params;
    c.set_output(0, DType::Float32, c.in_shape(0).size() == 2 ? Shape{p.rows, p.out_len} : Shape{p.out_len});
    return c.status();
}

Status eval_tfidf(EvalCtx& c) {
    Expected<TfIdfPlan> plan = tfidf_plan(c);
    if (!plan) return plan.status();
    float* y = c.out(0).data<float>();
    const TfIdfPlan& t = *plan;
    if (c.in(0).dtype() == DType::Int32)
        kernels::tfidf(c.in(0).data<int32_t>(), t.pool.data(), t.grams.data(), t.ngram_indexes.data(),
                       t.weights.data<float>(), y, t.params);
    else
        kernels::tfidf(c.in(0).data<int64_t>(), t.pool.data(), t.grams.data(), t.ngram_indexes.data(),
                       t.weights.data<float>(), y, t.params);
    return Status::ok();
}

Status emit_tfidf(EmitCtx& c) {
    if (c.output(0).numel() == 0) return Status::ok();
    Expected<TfIdfPlan> plan = tfidf_plan(c);
    if (!plan) return plan.status();
    const kernels::TfIdfParams& p = plan->params;
    c.use_kernel("portable/tfidf.h");
    std::string params = c.define_params(
        "k::TfIdfParams", fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}}}", p.rows, p.cols, p.min_gram, p.max_gram,
                                      p.max_skip, p.num_ngrams, p.out_len, p.mode));
    std::string pool = c.define_int_array(plan->pool, "pool");
    std::string grams = c.define_int_array(plan->grams, "grams");
    std::string indexes = c.define_int_array(plan->ngram_indexes, "ngram_indexes");
    std::string weights = c.define_array(plan->weights, "weights");
    c.call("k::tfidf({}, {}, {}, {}, {}, {}, {});", c.in(0), pool, grams, indexes, weights, c.out(0), params);
    return Status::ok();
}

}  // namespace
}  // namespace kiln

KILN_DEFINE_OP(TfIdfVectorizer, infer_tfidf, eval_tfidf, emit_tfidf)
