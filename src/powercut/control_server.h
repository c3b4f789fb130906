// ControlServer: a line-based command server on a unix stream socket.
// Each connection sends one command line ("cut", "sync", "stats", "ping") and receives one
// reply line; the reply is written only after the command has finished, which makes "cut"
// synchronous for the caller. See docs/powercut.md for the protocol.
#ifndef WALTUNE_SRC_POWERCUT_CONTROL_SERVER_H_
#define WALTUNE_SRC_POWERCUT_CONTROL_SERVER_H_

#include <functional>
#include <string>
#include <thread>

namespace waltune::powercut {

class ControlServer {
 public:
  // Maps a command (without the newline) to its reply (without the newline).
  using Handler = std::function<std::string(const std::string& command)>;

  ControlServer() = default;
  ~ControlServer() { Stop(); }
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds "socket_path" (replacing a stale socket file) and serves commands on a thread, one
  // connection at a time. Returns 0 or -errno.
  int Start(const std::string& socket_path, Handler handler);
  // Stops serving and removes the socket file. Idempotent.
  void Stop();

 private:
  void Serve();

  std::string socket_path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace waltune::powercut

#endif  // WALTUNE_SRC_POWERCUT_CONTROL_SERVER_H_
