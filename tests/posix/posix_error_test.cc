#include "posix/posix_error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

namespace waltune::posix {
namespace {

TEST(PosixErrorTest, NamesTheContextAndTheSystemMessage) {
  Status s = PosixError("/data/wal", ENOENT);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(s.field(), "/data/wal");
  EXPECT_EQ(s.message(), std::strerror(ENOENT));
  EXPECT_EQ(s.ToString(), "/data/wal: " + std::string(std::strerror(ENOENT)));
}

TEST(PosixErrorTest, SaysWhenTheFileSystemIsFull) {
  Status s = PosixError("/data/wal: fdatasync", ENOSPC);
  EXPECT_EQ(s.message(), std::string(std::strerror(ENOSPC)) + " (file system full)");
  EXPECT_EQ(PosixError("x", EIO).message().find("file system full"), std::string::npos);
}

}  // namespace
}  // namespace waltune::posix
