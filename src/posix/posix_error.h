// errno as a Status: the one place in waltune that turns a system call's error number into a
// message.
#ifndef WALTUNE_SRC_POSIX_POSIX_ERROR_H_
#define WALTUNE_SRC_POSIX_POSIX_ERROR_H_

#include <string>

#include "waltune/status.h"

namespace waltune::posix {

// Status::IOError(context, strerror(error_number)); ENOSPC gets " (file system full)" appended,
// so that a full disk is recognisable in any message that quotes it.
Status PosixError(const std::string& context, int error_number);

}  // namespace waltune::posix

#endif  // WALTUNE_SRC_POSIX_POSIX_ERROR_H_
