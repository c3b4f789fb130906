// Status and Result<T>: how every fallible waltune call reports failure.
// No exceptions cross the library boundary; the CLI turns a Status into exit code 2.
#ifndef WALTUNE_STATUS_H_
#define WALTUNE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace waltune {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kInvalidArgument, kIOError, kUnavailable, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  // `field` names the request field at fault, JSON-path style ("constraints.write_rate").
  static Status InvalidArgument(std::string field, std::string message) {
    return Status(Code::kInvalidArgument, std::move(field), std::move(message));
  }
  static Status IOError(std::string context, std::string message) {
    return Status(Code::kIOError, std::move(context), std::move(message));
  }
  static Status Unavailable(std::string context, std::string message) {
    return Status(Code::kUnavailable, std::move(context), std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(Code::kInternal, "", std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }
  std::string ToString() const {
    if (ok()) return "OK";
    return field_.empty() ? message_ : field_ + ": " + message_;
  }

 private:
  Status(Code code, std::string field, std::string message)
      : code_(code), field_(std::move(field)), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string field_;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace waltune

#define WALTUNE_RETURN_IF_ERROR(expr) \
  do {                                \
    ::waltune::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

#endif  // WALTUNE_STATUS_H_
