#include "model/master_weights.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace r1 {

Model working_copy(const Model& master, at::ScalarType dtype) {
  Model working = master;  // tensor handles: shares every tensor
  if (master.embed_tokens.scalar_type() == dtype) return working;
  at::NoGradGuard no_grad;
  for (auto& [name, t] : working.named_parameters())
    *t = t->detach().to(dtype).requires_grad_(t->requires_grad());
  finalize_model(working);
  return working;
}

void accumulate_gradients(Model& working, Model& master) {
  auto from = working.named_parameters(), to = master.named_parameters();
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < from.size(); ++i) {
    at::Tensor& w = *from[i].second;
    at::Tensor& m = *to[i].second;
    if (w.is_same(m) || !w.grad().defined()) continue;
    auto g = w.grad().to(m.scalar_type());
    if (m.grad().defined())
      m.mutable_grad().add_(g);
    else
      m.mutable_grad() = g;
    w.mutable_grad().reset();
  }
}

void copy_master_to_working(Model& master, Model& working) {
  auto from = master.named_parameters(), to = working.named_parameters();
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < from.size(); ++i)
    if (!from[i].second->is_same(*to[i].second)) to[i].second->copy_(*from[i].second);
}

}  // namespace r1
