#include "dist/data_parallel.h"

#include <torch/torch.h>

#include <algorithm>

#include "util/error.h"

namespace r1::dist {

namespace {

// Calls fn(flat, members) for consecutive groups of tensors whose element
// count fits a bucket (a bigger tensor goes alone).
template <typename Fn>
void for_each_bucket(const std::vector<at::Tensor>& tensors, Fn fn) {
  size_t first = 0;
  while (first < tensors.size()) {
    size_t last = first;
    int64_t total = 0;
    while (last < tensors.size() &&
           (last == first || total + tensors[last].numel() <= kBucketElements))
      total += tensors[last++].numel();
    fn(first, last, total);
    first = last;
  }
}

}  // namespace

void broadcast_parameters(ProcessGroup& group, const std::vector<at::Tensor>& params, int root) {
  if (group.world_size() == 1) return;
  at::NoGradGuard no_grad;
  for_each_bucket(params, [&](size_t first, size_t last, int64_t total) {
    at::Tensor flat = at::empty({total}, at::kFloat);
    int64_t at = 0;
    for (size_t i = first; i < last; ++i) {
      flat.narrow(0, at, params[i].numel()).copy_(params[i].reshape({-1}));
      at += params[i].numel();
    }
    group.broadcast(flat.data_ptr<float>(), total, root);
    at = 0;
    for (size_t i = first; i < last; ++i) {
      params[i].copy_(flat.narrow(0, at, params[i].numel()).view(params[i].sizes()));
      at += params[i].numel();
    }
  });
}

void all_reduce_gradients(ProcessGroup& group, const std::vector<at::Tensor>& params) {
  if (group.world_size() == 1) return;
  at::NoGradGuard no_grad;
  for_each_bucket(params, [&](size_t first, size_t last, int64_t total) {
    at::Tensor flat = at::zeros({total}, at::kFloat);
    int64_t at = 0;
    for (size_t i = first; i < last; ++i) {
      const at::Tensor& g = params[i].grad();
      if (g.defined()) flat.narrow(0, at, g.numel()).copy_(g.reshape({-1}));
      at += params[i].numel();
    }
    group.all_reduce_sum(flat.data_ptr<float>(), total);
    at = 0;
    for (size_t i = first; i < last; ++i) {
      at::Tensor sum = flat.narrow(0, at, params[i].numel()).view(params[i].sizes());
      at::Tensor& g = params[i].mutable_grad();
      if (g.defined())
        g.copy_(sum);
      else
        g = sum.clone();
      at += params[i].numel();
    }
  });
}

Share share_of(int64_t n, int rank, int world) {
  const int64_t base = n / world, extra = n % world;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::vector<nlohmann::json> gather_by_index(ProcessGroup& group,
                                            const std::vector<nlohmann::json>& mine) {
  const std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(nlohmann::json(mine));
  std::vector<nlohmann::json> all;
  for (const std::string& part : group.all_gather(std::string(bytes.begin(), bytes.end())))
    for (auto& line : nlohmann::json::from_msgpack(part)) all.push_back(std::move(line));
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a["index"].template get<int64_t>() < b["index"].template get<int64_t>();
  });
  return all;
}

void check_same_resume_point(ProcessGroup& group, const std::string& resume_from,
                             const std::string& run_dir) {
  if (group.world_size() <= 1) return;
  auto seen = group.all_gather(resume_from);
  for (size_t r = 1; r < seen.size(); ++r)
    if (seen[r] != seen[0])
      fail("rank ", r, " resumes from '", seen[r], "' but rank 0 from '", seen[0],
           "': every rank must see the same run directory (", run_dir, ")");
}

bool any_rank(ProcessGroup& group, bool mine) {
  if (group.world_size() == 1) return mine;
  double v = mine ? 1 : 0;
  group.all_reduce_sum(&v, 1);
  return v > 0;
}

namespace {

// The variables packed into one array, reduced by `all_reduce` in place, and
// written back.
template <typename AllReduce>
void reduce_packed(std::initializer_list<double*> values, AllReduce all_reduce) {
  std::vector<double> packed;
  for (const double* v : values) packed.push_back(*v);
  all_reduce(packed.data(), packed.size());
  size_t i = 0;
  for (double* v : values) *v = packed[i++];
}

}  // namespace

void sum_over_ranks(ProcessGroup& group, std::initializer_list<double*> values) {
  reduce_packed(values, [&](double* d, size_t n) { group.all_reduce_sum(d, n); });
}

void max_over_ranks(ProcessGroup& group, std::initializer_list<double*> values) {
  reduce_packed(values, [&](double* d, size_t n) { group.all_reduce_max(d, n); });
}

std::vector<int64_t> rank0_list(ProcessGroup& group, const std::vector<int64_t>& mine) {
  const std::vector<uint8_t> packed = nlohmann::json::to_msgpack(nlohmann::json(mine));
  const auto all = group.all_gather(std::string(packed.begin(), packed.end()));
  return nlohmann::json::from_msgpack(all[0]).get<std::vector<int64_t>>();
}

std::vector<int64_t> strided_share(const std::vector<int64_t>& items, int rank, int world) {
  std::vector<int64_t> share;
  for (size_t i = rank; i < items.size(); i += world) share.push_back(items[i]);
  return share;
}

}  // namespace r1::dist
