#include "powercut/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace waltune::powercut {

int ControlServer::Start(const std::string& socket_path, Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return -ENAMETOOLONG;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  unlink(socket_path.c_str());
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return -errno;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 16) != 0 || pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    int err = errno;
    close(listen_fd_);
    listen_fd_ = -1;
    return -err;
  }
  socket_path_ = socket_path;
  handler_ = std::move(handler);
  thread_ = std::thread([this] { Serve(); });
  return 0;
}

void ControlServer::Stop() {
  if (listen_fd_ < 0) return;
  char byte = 0;
  (void)!write(stop_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  listen_fd_ = -1;
  unlink(socket_path_.c_str());
}

void ControlServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    std::string line;
    char buf[256];
    while (line.find('\n') == std::string::npos && line.size() < 4096) {
      ssize_t n = read(conn, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    line = line.substr(0, line.find('\n'));
    std::string reply = handler_(line) + "\n";
    size_t done = 0;
    while (done < reply.size()) {
      ssize_t n = write(conn, reply.data() + done, reply.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(conn);
  }
}

}  // namespace waltune::powercut
