#include "posix/posix_error.h"

#include <cerrno>
#include <cstring>

namespace waltune::posix {

Status PosixError(const std::string& context, int error_number) {
  std::string message = std::strerror(error_number);
  if (error_number == ENOSPC) message += " (file system full)";
  return Status::IOError(context, message);
}

}  // namespace waltune::posix
