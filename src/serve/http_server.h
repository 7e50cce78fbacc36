// The HTTP side of r1 serve and r1 dashboard: one cpp-httplib server (Debian's
// libcpp-httplib) with a thread per open connection, the OpenAI routes
// (openai_routes.cpp) and/or the dashboard's (dashboard.cpp) added to it.
// httplib.h stays in the .cpp files.
#pragma once

#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace r1 {

class HttpServer {
 public:
  // `threads`: connections served at once (a streaming client holds one for
  // its whole response).
  explicit HttpServer(int threads);
  ~HttpServer();

  httplib::Server& routes() { return *server_; }
  // Binds host:port (port 0: any free one) and returns the port; Error if it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop() (from another thread or a signal handler's watcher).
  void run();
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;
};

// Serves `server` until SIGINT or SIGTERM, then stops it and returns.
void run_until_signal(HttpServer& server);

// Binds host:port, prints "WHAT on http://HOST:PORT" (with the port bound:
// tests read it from this line), then run_until_signal.
void listen_until_signal(HttpServer& server, const std::string& host, int port,
                         const std::string& what);

}  // namespace r1
