// A heap buffer aligned for O_DIRECT, zero-filled.
#ifndef WALTUNE_IO_ALIGNED_BUFFER_H_
#define WALTUNE_IO_ALIGNED_BUFFER_H_

#include <cstdlib>
#include <cstring>
#include <memory>

#include "waltune/env.h"

namespace waltune {

class AlignedBuffer {
 public:
  // Rounds `size_bytes` up to kDirectIoAlignmentBytes.
  explicit AlignedBuffer(size_t size_bytes)
      : size_(RoundUp(size_bytes)),
        data_(static_cast<char*>(std::aligned_alloc(kDirectIoAlignmentBytes, size_)), &std::free) {
    std::memset(data_.get(), 0, size_);
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }

  static size_t RoundUp(size_t n) {
    size_t a = kDirectIoAlignmentBytes;
    return n == 0 ? a : (n + a - 1) / a * a;
  }

 private:
  size_t size_;
  std::unique_ptr<char, decltype(&std::free)> data_;
};

}  // namespace waltune

#endif  // WALTUNE_IO_ALIGNED_BUFFER_H_
