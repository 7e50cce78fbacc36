// One thread owns the model and runs the rollout engine (engine/generator.h
// generate_fed) on every request the HTTP threads queue, so concurrent
// requests share its continuous batching: a request that arrives mid-wave
// joins the running batch at the next decode step. Requests whose sampling
// settings differ (temperature, top_p, ...) cannot share a wave; the oldest
// queued request picks the next wave's settings, and a different one waits
// for the running wave to drain (first come, first served).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/generator.h"

namespace r1 {

// One API request in flight: the HTTP thread that queued it waits on `changed`
// and reads the samples as the engine thread fills them.
struct Job {
  GenerateRequest request;  // prompt, n, seed, max_new_tokens, stop strings
  SamplingParams sampling;  // temperature, top_p, ... (shared by the wave it joins)

  struct Sample {
    std::vector<int64_t> tokens;
    std::vector<float> logprobs;
    bool done = false;
    Completion result;  // when done: text cut at a stop string, finish reason
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Sample> samples;         // n, guarded by mutex
  int64_t finished = 0;                // samples done, guarded by mutex
  std::string error;                   // set if the engine failed, guarded by mutex
  std::atomic<bool> cancelled{false};  // the client went away: free its rows

  bool complete() const {
    return finished == static_cast<int64_t>(samples.size()) || !error.empty();
  }
};

class EngineWorker {
 public:
  // `base`: the stop token ids and max_new_tokens (the most any request may
  // ask; it sizes each wave's cache); `options`: max_batch and decode.
  EngineWorker(const Model& model, SamplingParams base, GenerateOptions options);
  ~EngineWorker();  // stops the thread; jobs still queued get an error
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Throws Error if the engine would refuse `request` (engine/generator.h check_request).
  void check(const GenerateRequest& request) const;
  // Queues a job that passed check().
  void submit(std::shared_ptr<Job> job);
  // Rows live in the engine now, and jobs waiting (for /health and tests).
  struct Load {
    int64_t running_jobs, queued_jobs;
    int64_t aborted_samples;  // since start: stopped because their client left
  };
  Load load();

 private:
  void loop();
  std::vector<FedRequest> take_matching(const SamplingParams& wave);

  const Model& model_;
  SamplingParams base_;
  GenerateOptions options_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::atomic<bool> stop_{false};           // the same, read by the engine every step
  // Engine thread only: jobs handed to the engine, by id.
  std::unordered_map<size_t, std::shared_ptr<Job>> running_;
  std::atomic<int64_t> running_count_{0}, aborted_{0};
  size_t next_id_ = 0;
  std::thread thread_;
};

}  // namespace r1
