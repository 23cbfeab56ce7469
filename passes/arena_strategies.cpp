// Arena placement strategies for plan-memory: pure functions from buffer requests (bytes, lifetime) to
// offsets. Greedy by size first fit is TensorFlow Lite Micro's planner, kept as the baseline; best fit and
// greedy by breadth follow Pisarchyk & Lee, "Efficient Memory Management for Deep Neural Net Inference"
// (2020); small instances are also searched exactly. plan_best keeps the smallest arena.
#include <algorithm>
#include <numeric>
#include <utility>

#include "passes/plan_memory.h"

namespace kiln {

namespace {

std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }

bool live_together(const BufferRequest& a, const BufferRequest& b) { return a.first <= b.last && b.first <= a.last; }

// Byte ranges taken by placed buffers whose lifetimes overlap request r, sorted by start.
std::vector<std::pair<std::size_t, std::size_t>> busy_ranges(const std::vector<BufferRequest>& req,
                                                             const std::vector<std::size_t>& offsets,
                                                             const std::vector<std::size_t>& placed, std::size_t r) {
    std::vector<std::pair<std::size_t, std::size_t>> busy;
    for (std::size_t p : placed)
        if (req[p].bytes > 0 && live_together(req[p], req[r])) busy.push_back({offsets[p], offsets[p] + req[p].bytes});
    std::sort(busy.begin(), busy.end());
    return busy;
}

// The lowest aligned offset where r fits among the busy ranges.
std::size_t first_fit(const std::vector<std::pair<std::size_t, std::size_t>>& busy, std::size_t bytes,
                      std::size_t alignment) {
    std::size_t at = 0;
    for (const auto& b : busy) {
        if (at + bytes <= b.first) break;
        at = std::max(at, align_up(b.second, alignment));
    }
    return at;
}

// The start of the smallest gap between busy ranges that r fits in; past the last range when none does.
std::size_t best_fit(const std::vector<std::pair<std::size_t, std::size_t>>& busy, std::size_t bytes,
                     std::size_t alignment) {
    std::size_t at = 0, best = 0, best_gap = std::size_t(-1);
    for (const auto& b : busy) {
        if (b.first >= at + bytes && b.first - at < best_gap) {
            best = at;
            best_gap = b.first - at;
        }
        at = std::max(at, align_up(b.second, alignment));
    }
    return best_gap == std::size_t(-1) ? at : best;
}

std::vector<std::size_t> by_size(const std::vector<BufferRequest>& req) {
    std::vector<std::size_t> order(req.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (req[a].bytes != req[b].bytes) return req[a].bytes > req[b].bytes;
        return req[a].first < req[b].first;
    });
    return order;
}

// Places requests in `order`, each by `fit`; fills offsets, total and the bound.
template <typename Fit>
ArenaLayout place_in_order(const std::vector<BufferRequest>& req, const std::vector<std::size_t>& order,
                           std::size_t alignment, const char* strategy, Fit fit) {
    ArenaLayout out;
    out.offsets.assign(req.size(), 0);
    out.strategy = strategy;
    std::vector<std::size_t> placed;
    for (std::size_t idx : order) {
        if (req[idx].bytes == 0) continue;
        out.offsets[idx] = fit(busy_ranges(req, out.offsets, placed, idx), req[idx].bytes, alignment);
        out.total_bytes = std::max(out.total_bytes, align_up(out.offsets[idx] + req[idx].bytes, alignment));
        placed.push_back(idx);
    }
    out.lower_bound_bytes = live_bytes_lower_bound(req, alignment);
    out.optimal = out.total_bytes == out.lower_bound_bytes;
    return out;
}

}  // namespace

std::size_t live_bytes_lower_bound(const std::vector<BufferRequest>& req, std::size_t alignment) {
    // Sweep over lifetime starts and ends: O(n log n) rather than steps x buffers.
    std::vector<std::pair<int, long long>> events;
    for (const BufferRequest& r : req) {
        if (r.bytes == 0) continue;
        long long b = (long long)align_up(r.bytes, alignment);
        events.push_back({r.first, b});
        events.push_back({r.last + 1, -b});
    }
    std::sort(events.begin(), events.end());  // at equal steps frees (negative) come first
    long long live = 0, peak = 0;
    for (const auto& e : events) {
        live += e.second;
        peak = std::max(peak, live);
    }
    return std::size_t(peak);
}

ArenaLayout plan_greedy_by_size(const std::vector<BufferRequest>& req, std::size_t alignment) {
    return place_in_order(req, by_size(req), alignment, "greedy-by-size", first_fit);
}

ArenaLayout plan_greedy_by_size_best_fit(const std::vector<BufferRequest>& req, std::size_t alignment) {
    return place_in_order(req, by_size(req), alignment, "greedy-by-size-best-fit", best_fit);
}

ArenaLayout plan_greedy_by_breadth(const std::vector<BufferRequest>& req, std::size_t alignment) {
    int steps = 0;
    for (const BufferRequest& r : req) steps = std::max(steps, r.last + 1);
    std::vector<std::size_t> breadth(std::size_t(steps), 0);
    for (const BufferRequest& r : req)
        for (int s = r.first; s <= r.last; ++s) breadth[std::size_t(s)] += r.bytes;
    std::vector<int> step_order(static_cast<std::size_t>(steps));
    std::iota(step_order.begin(), step_order.end(), 0);
    std::stable_sort(step_order.begin(), step_order.end(),
                     [&](int a, int b) { return breadth[std::size_t(a)] > breadth[std::size_t(b)]; });
    std::vector<std::size_t> size_order = by_size(req), order;
    std::vector<bool> taken(req.size(), false);
    for (int s : step_order)
        for (std::size_t i : size_order)
            if (!taken[i] && req[i].first <= s && s <= req[i].last) {
                taken[i] = true;
                order.push_back(i);
            }
    for (std::size_t i : size_order)
        if (!taken[i]) order.push_back(i);
    return place_in_order(req, order, alignment, "greedy-by-breadth", best_fit);
}

namespace {

struct ExactSearch {
    const std::vector<BufferRequest>& req;
    std::size_t alignment;
    std::vector<std::size_t> items;  // non-empty buffers, largest first
    std::vector<std::size_t> offsets, best_offsets;
    std::vector<std::size_t> placed;  // request indices, in placement order
    std::vector<bool> is_placed;
    std::size_t best, bound;
    long nodes = 0, budget;
    bool aborted = false;

    void dfs(std::size_t total) {
        if (aborted || best == bound) return;
        if (++nodes > budget) {
            aborted = true;
            return;
        }
        if (placed.size() == items.size()) {
            if (total < best) {
                best = total;
                best_offsets = offsets;
            }
            return;
        }
        for (std::size_t i : items) {
            if (is_placed[i]) continue;
            // Consecutive placements of buffers never live together commute: explore one of the two orders.
            if (!placed.empty() && !live_together(req[placed.back()], req[i]) && i < placed.back()) continue;
            std::size_t at = first_fit(busy_ranges(req, offsets, placed, i), req[i].bytes, alignment);
            std::size_t t = std::max(total, align_up(at + req[i].bytes, alignment));
            if (t >= best) continue;
            offsets[i] = at;
            is_placed[i] = true;
            placed.push_back(i);
            dfs(t);
            placed.pop_back();
            is_placed[i] = false;
            if (aborted || best == bound) return;
        }
    }
};

}  // namespace

ArenaLayout plan_exact(const std::vector<BufferRequest>& req, std::size_t alignment, const ArenaLayout& start,
                       long node_budget) {
    ArenaLayout out = start;
    out.lower_bound_bytes = live_bytes_lower_bound(req, alignment);
    if (start.total_bytes == out.lower_bound_bytes) {
        out.optimal = true;
        return out;
    }
    ExactSearch s{req, alignment, {}, std::vector<std::size_t>(req.size(), 0), {}, {},
                  std::vector<bool>(req.size(), false), start.total_bytes, out.lower_bound_bytes, 0, node_budget};
    for (std::size_t i : by_size(req))
        if (req[i].bytes > 0) s.items.push_back(i);
    s.dfs(0);
    if (!s.best_offsets.empty()) {
        out.offsets = s.best_offsets;
        out.total_bytes = s.best;
        out.strategy = "exact";
    }
    out.optimal = !s.aborted || out.total_bytes == out.lower_bound_bytes;
    return out;
}

ArenaLayout plan_best(const std::vector<BufferRequest>& req, std::size_t alignment) {
    ArenaLayout best = plan_greedy_by_size_best_fit(req, alignment);
    for (ArenaLayout l : {plan_greedy_by_breadth(req, alignment), plan_greedy_by_size(req, alignment)})
        if (l.total_bytes < best.total_bytes) best = std::move(l);
    std::size_t n = 0;
    for (const BufferRequest& r : req) n += r.bytes > 0 ? 1 : 0;
    if (n <= kExactMaxBuffers && !best.optimal) best = plan_exact(req, alignment, best);
    return best;
}

}  // namespace kiln
