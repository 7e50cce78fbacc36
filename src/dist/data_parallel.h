// Data parallelism on top of ProcessGroup (there is no C++ DDP): the same
// parameters on every rank at the start, gradients summed over ranks in flat
// buckets before each optimizer step, and which share of a list a rank owns.
// Losses are normalised by global counts (tokens, sequences of the whole
// mini-batch), so the summed gradient is the one-process gradient.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dist/process_group.h"

namespace r1::dist {

// Copies root's values into every rank's tensors (sent as float32, which
// holds bf16 / fp16 values exactly; any device).
void broadcast_parameters(ProcessGroup& group, const std::vector<at::Tensor>& params, int root = 0);

// Sums each parameter's .grad over ranks, in place; an undefined gradient
// counts as zeros and is defined afterwards. Buckets of at most
// kBucketElements floats bound the extra memory.
void all_reduce_gradients(ProcessGroup& group, const std::vector<at::Tensor>& params);
constexpr int64_t kBucketElements = int64_t{8} << 20;  // 32 MiB of float32

// The contiguous block [begin, end) of n items that `rank` of `world` owns;
// the first n % world ranks own one more.
struct Share {
  int64_t begin, end;
};
Share share_of(int64_t n, int rank, int world);

// Whether `mine` is true on any rank (a stop asked for on one rank stops all).
bool any_rank(ProcessGroup& group, bool mine);

// Each variable replaced by its sum (its maximum) over the ranks, all of them
// in one collective: a step's statistics cost one round trip, not one each.
void sum_over_ranks(ProcessGroup& group, std::initializer_list<double*> values);
void max_over_ranks(ProcessGroup& group, std::initializer_list<double*> values);

// Rank 0's list, received by every rank (only rank 0 reads what a resumed
// run has done), and the items i, i + world, ... of a list that `rank` takes
// (r1 eval, r1 sample).
std::vector<int64_t> rank0_list(ProcessGroup& group, const std::vector<int64_t>& mine);
std::vector<int64_t> strided_share(const std::vector<int64_t>& items, int rank, int world);

// Every rank's JSON lines of one round (each with an "index"), ordered by
// index; lines of one index keep their rank's order (r1 eval, r1 sample).
std::vector<nlohmann::json> gather_by_index(ProcessGroup& group,
                                            const std::vector<nlohmann::json>& mine);

// The checkpoint every rank resumes from: an error naming the rank that sees
// another one than rank 0 (ranks need a shared file system).
void check_same_resume_point(ProcessGroup& group, const std::string& resume_from,
                             const std::string& run_dir);

}  // namespace r1::dist
