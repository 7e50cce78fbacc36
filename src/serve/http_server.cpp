#include "serve/http_server.h"

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "util/error.h"

namespace r1 {

HttpServer::HttpServer(int threads) : server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(16 << 20);  // 16 MiB: a long chat, not a denial of service
  server_->set_read_timeout(30, 0);
  // A stream writes one small chunk per token: without TCP_NODELAY, Nagle's
  // algorithm holds each until the previous one is acknowledged.
  server_->set_tcp_nodelay(true);
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& host, int port) {
  if (port == 0) {
    const int bound = server_->bind_to_any_port(host);
    if (bound <= 0) fail("cannot bind ", host, " (any port)");
    return bound;
  }
  if (!server_->bind_to_port(host, port))
    fail("cannot bind ", host, ":", port, " (in use, or not an address of this machine)");
  return port;
}

void HttpServer::run() {
  server_->listen_after_bind();
}

void HttpServer::stop() {
  server_->stop();
}

namespace {
std::atomic<bool> g_signalled{false};
void on_signal(int) {
  g_signalled = true;
}
}  // namespace

void run_until_signal(HttpServer& server) {
  struct sigaction action {};
  action.sa_handler = on_signal;
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!g_signalled && !done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.stop();
  });
  server.run();
  done = true;
  watcher.join();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
}

void listen_until_signal(HttpServer& server, const std::string& host, int port,
                         const std::string& what) {
  const int bound = server.bind(host, port);
  std::cout << what << " on http://" << host << ":" << bound << std::endl;
  run_until_signal(server);
}

}  // namespace r1
