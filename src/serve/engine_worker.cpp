#include "serve/engine_worker.h"

#include "serve/openai_api.h"

namespace r1 {

EngineWorker::EngineWorker(const Model& model, SamplingParams base, GenerateOptions options)
    : model_(model), base_(std::move(base)), options_(std::move(options)) {
  options_.on_token = [this](size_t id, int64_t sample, int64_t token, float logprob) {
    Job& job = *running_.at(id);
    {
      std::lock_guard<std::mutex> lock(job.mutex);
      job.samples[sample].tokens.push_back(token);
      job.samples[sample].logprobs.push_back(logprob);
    }
    job.changed.notify_all();
  };
  options_.on_finish = [this](size_t id, int64_t sample, const Completion& c) {
    auto it = running_.find(id);
    Job& job = *it->second;
    if (c.finish == FinishReason::kAbort) ++aborted_;
    bool all = false;
    {
      std::lock_guard<std::mutex> lock(job.mutex);
      job.samples[sample].done = true;
      job.samples[sample].result = c;
      all = ++job.finished == static_cast<int64_t>(job.samples.size());
    }
    job.changed.notify_all();
    if (all) {
      running_.erase(it);
      --running_count_;
    }
  };
  options_.cancelled = [this](size_t id) { return stop_ || running_.at(id)->cancelled.load(); };
  thread_ = std::thread([this] { loop(); });
}

EngineWorker::~EngineWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_ = true;
  queued_.notify_all();
  thread_.join();
  auto fail_job = [](Job& job, const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(job.mutex);
      job.error = why;
    }
    job.changed.notify_all();
  };
  for (auto& job : queue_) fail_job(*job, "the server is shutting down");
}

void EngineWorker::check(const GenerateRequest& request) const {
  check_request(model_, request, "the prompt");
}

void EngineWorker::submit(std::shared_ptr<Job> job) {
  job->samples.assign(job->request.n, {});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  queued_.notify_one();
}

EngineWorker::Load EngineWorker::load() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {running_count_.load(), static_cast<int64_t>(queue_.size()), aborted_.load()};
}

// Hands the engine the queued jobs, oldest first, while their sampling
// settings match the running wave's; jobs whose client already left are
// dropped here without costing a prefill.
std::vector<FedRequest> EngineWorker::take_matching(const SamplingParams& wave) {
  std::vector<FedRequest> out;
  std::vector<std::shared_ptr<Job>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!queue_.empty() &&
           (queue_.front()->cancelled || same_sampling(queue_.front()->sampling, wave))) {
      std::shared_ptr<Job> job = std::move(queue_.front());
      queue_.pop_front();
      if (job->cancelled) {
        dropped.push_back(std::move(job));
        continue;
      }
      const size_t id = next_id_++;
      out.push_back({id, &job->request});
      running_.emplace(id, std::move(job));
      ++running_count_;
    }
  }
  for (auto& job : dropped) {
    {
      std::lock_guard<std::mutex> lock(job->mutex);
      job->error = "cancelled";
    }
    job->changed.notify_all();
  }
  return out;
}

void EngineWorker::loop() {
  for (;;) {
    SamplingParams wave = base_;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      const SamplingParams& first = queue_.front()->sampling;
      wave.temperature = first.temperature;
      wave.top_p = first.top_p;
      wave.top_k = first.top_k;
      wave.min_p = first.min_p;
      wave.repetition_penalty = first.repetition_penalty;
      wave.presence_penalty = first.presence_penalty;
    }
    try {
      generate_fed(model_, wave, options_,
                   [&] { return stop_ ? std::vector<FedRequest>{} : take_matching(wave); });
    } catch (const std::exception& e) {
      // Requests are checked before they are queued, so this is the engine
      // failing (out of memory, ...): their clients get the message, the
      // server goes on.
      for (auto& [id, job] : running_) {
        {
          std::lock_guard<std::mutex> lock(job->mutex);
          job->error = e.what();
        }
        job->changed.notify_all();
      }
      running_count_ -= running_.size();
      running_.clear();
    }
  }
}

}  // namespace r1
