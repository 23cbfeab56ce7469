// Memory planning: where in the one arena each intermediate tensor lives. Liveness (which values share
// bytes: reshape-like aliases, in-place elementwise ops; when each buffer is live) is computed for a node
// order, so the schedule pass evaluates candidate orders with exactly the rules the planner uses.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// A tensor that needs arena space from step `first` (its producer) to step `last` (its last reader).
struct BufferRequest {
    std::size_t bytes;
    int first;
    int last;
};

struct ArenaLayout {
    std::vector<std::size_t> offsets;  // per request
    std::size_t total_bytes = 0;
    std::size_t lower_bound_bytes = 0;  // peak of bytes live at one step: no layout can beat it
    std::string strategy;               // which placement produced the offsets
    bool optimal = false;               // total_bytes is proven minimal (equals the bound, or exhaustive search)
};

// ---- placement strategies (arena_strategies.cpp): pure functions of the requests ----
// Greedy by size, first fit among buffers whose lifetimes overlap (TensorFlow Lite Micro's planner: the
// baseline Kiln must never lose to). Offsets are multiples of alignment.
ArenaLayout plan_greedy_by_size(const std::vector<BufferRequest>& requests, std::size_t alignment);
// Greedy by size, best fit: each buffer goes into the smallest free gap it fits (Pisarchyk & Lee 2020).
ArenaLayout plan_greedy_by_size_best_fit(const std::vector<BufferRequest>& requests, std::size_t alignment);
// Greedy by breadth (Pisarchyk & Lee 2020): steps by decreasing live bytes; at each, its unplaced buffers by
// decreasing size, best fit.
ArenaLayout plan_greedy_by_breadth(const std::vector<BufferRequest>& requests, std::size_t alignment);
// Branch and bound over placement orders (each buffer at the lowest offset free of those placed before it:
// every optimal layout is reached by some order). Explores at most `node_budget` search nodes; the result
// is never worse than `start` (a valid layout) and is marked optimal when the search finished.
ArenaLayout plan_exact(const std::vector<BufferRequest>& requests, std::size_t alignment, const ArenaLayout& start,
                       long node_budget = 200000);
// The smallest arena of all the strategies above (exact search only for up to kExactMaxBuffers buffers);
// ties go to the first in the order: greedy-by-size-best-fit, greedy-by-breadth, greedy-by-size, exact.
constexpr std::size_t kExactMaxBuffers = 16;
ArenaLayout plan_best(const std::vector<BufferRequest>& requests, std::size_t alignment);
// Peak of aligned bytes live at one step.
std::size_t live_bytes_lower_bound(const std::vector<BufferRequest>& requests, std::size_t alignment);

// ---- liveness of a graph in a node order ----
// A node's scratch: when it returns true (a target's own kernel runs the node), *bytes replaces the op's
// OpSchema::workspace_bytes (0 for none). Empty: every node takes its op's.
using WorkspaceOverride = std::function<bool(const Graph& g, const Node& n, std::size_t* bytes)>;
// Which values share bytes with another value's buffer, for one node order (positions in `order` are steps).
struct Liveness {
    std::vector<BufferRequest> requests;  // one per buffer: a root value, or a node's workspace
    std::vector<ValueId> request_value;   // root value of each request, kNoValue for a workspace
    std::vector<int> request_node;        // node index (in g.nodes) of a workspace request, -1 otherwise
    std::map<ValueId, ValueId> root;      // every arena value -> the value owning its bytes (itself if none)
    std::map<ValueId, std::size_t> offset_in_root;  // byte offset inside the root's buffer (Concat parts)
    // Values that use another's bytes -> "alias" (reshape-like), "in-place" (overwrote its input) or
    // "concat-part" (its producer wrote it straight into a Concat's output).
    std::map<ValueId, std::string> sharing;
    std::set<int> elided;                 // nodes (index in g.nodes) that emit no code: aliases, Concats in place
};
// The node order is a permutation of g.nodes' indices (a topological order). share = false: every value its
// own buffer (no aliases, nothing in place), as planners without those rules see the graph.
// concat_in_place: Concats whose inputs are contiguous blocks of the output get them written in place.
Liveness analyse_liveness(const Graph& g, const std::vector<int>& order, bool share = true,
                          bool concat_in_place = true, const WorkspaceOverride& workspace_override = {});
// Peak live bytes of the order (the lower bound of any arena for it), with the rules of analyse_liveness.
std::size_t peak_live_bytes(const Graph& g, const std::vector<int>& order, std::size_t alignment);

struct MemoryPlan {
    std::map<ValueId, std::size_t> offset;  // arena offset of each planned value (aliases: their owner's)
    std::map<int, std::size_t> workspace;   // node index -> arena offset of its scratch (OpSchema::workspace_bytes)
    std::size_t arena_bytes = 0;
    std::size_t lower_bound_bytes = 0;
    // For reports: the placement that won, each planned value's byte size, the sum of all planned buffers
    // without any reuse (every value and workspace its own bytes, aligned), and who shares whose bytes.
    std::string strategy;
    std::map<ValueId, std::size_t> size;
    std::map<int, std::size_t> workspace_size;  // node index -> scratch bytes
    std::size_t naive_bytes = 0;
    std::map<ValueId, ValueId> shares;          // value -> value owning its bytes, only for sharing values
    std::map<ValueId, std::string> sharing;     // same keys: "alias", "in-place" or "concat-part" (Liveness)
    std::set<int> elided;                       // nodes whose layer emits only its comment
    std::map<ValueId, std::pair<int, int>> lifetime;  // root value -> first and last step
};

// Plans every value that nodes produce and that is neither a graph output nor a constant, and the scratch
// a node's kernel asks for, live during that node only (so it never overlaps the node's inputs or outputs).
// Lifetimes follow g.nodes' order (the schedule pass chose it).
MemoryPlan plan_memory(const Graph& g, std::size_t alignment, const WorkspaceOverride& workspace_override = {});
// The arena TensorFlow Lite Micro's planner would need for g as it is ordered (greedy by size, first fit,
// no aliases or in-place reuse): the baseline reports compare with, on the graph before Kiln's passes.
std::size_t tflm_baseline_bytes(const Graph& g, std::size_t alignment);

}  // namespace kiln
