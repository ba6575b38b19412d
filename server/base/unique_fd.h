#ifndef SSECAST_SERVER_BASE_UNIQUE_FD_H_
#define SSECAST_SERVER_BASE_UNIQUE_FD_H_

#include <unistd.h>

namespace ssecast {

// Sole owner of one file descriptor; closes it on destruction. Move-only,
// so that a descriptor handed from one thread to another has exactly one
// owner at every moment. Not thread-safe (a value type).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

  // Closes the owned descriptor, if any, and takes `fd` instead.
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_UNIQUE_FD_H_
