// Memory planning: where in the one static arena each intermediate tensor lives.
#pragma once

#include <cstddef>
#include <map>
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
};

// Greedy by size, first fit among buffers whose lifetimes overlap. Offsets are multiples of alignment.
ArenaLayout plan_greedy_by_size(const std::vector<BufferRequest>& requests, std::size_t alignment);

struct MemoryPlan {
    std::map<ValueId, std::size_t> offset;  // arena offset of each planned value
    std::map<int, std::size_t> workspace;   // node index -> arena offset of its scratch (OpSchema::workspace_bytes)
    std::size_t arena_bytes = 0;
    std::size_t lower_bound_bytes = 0;
};

// Plans every value that nodes produce and that is neither a graph output nor a constant, and the scratch
// a node's kernel asks for, live during that node only (so it never overlaps the node's inputs or outputs).
MemoryPlan plan_memory(const Graph& g, std::size_t alignment);

}  // namespace kiln
