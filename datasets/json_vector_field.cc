#include "json_vector_field.h"

#include <charconv>

namespace tqdb {
namespace {

// A position in one line. Every step returns false where the line leaves the simple form.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  size_t at() const { return p_; }
  bool done() const { return p_ == s_.size(); }
  char peek() const { return p_ < s_.size() ? s_[p_] : '\0'; }

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool IsFieldEnd(char c) { return c == ',' || c == '}' || IsSpace(c); }

  void SkipSpace() {
    while (p_ < s_.size() && IsSpace(s_[p_])) ++p_;
  }
  bool Take(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  // A string from its opening quote; *escaped says whether it held a backslash.
  bool SkipString(bool* escaped) {
    if (!Take('"')) return false;
    *escaped = false;
    for (; p_ < s_.size(); ++p_) {
      if (s_[p_] == '\\') {
        *escaped = true;
        ++p_;
      } else if (s_[p_] == '"') {
        ++p_;
        return true;
      }
    }
    return false;
  }

  // Any value, its brackets matched outside strings; the DOM parse checks the rest of it.
  bool SkipValue() {
    const char first = peek();
    if (first != '"' && first != '{' && first != '[') {  // a number, true, false or null
      const size_t begin = p_;
      while (p_ < s_.size() && !IsFieldEnd(s_[p_])) ++p_;
      return p_ > begin;
    }
    std::string closers;
    bool escaped = false;
    do {
      const char c = peek();
      if (c == '"') {
        if (!SkipString(&escaped)) return false;
        continue;
      }
      if (c == '\0') return false;
      ++p_;
      if (c == '{' || c == '[') {
        closers.push_back(c == '{' ? '}' : ']');
      } else if (c == '}' || c == ']') {
        if (closers.empty() || closers.back() != c) return false;
        closers.pop_back();
      }
    } while (!closers.empty());
    return true;
  }

  // An array of JSON numbers (no "inf", "nan" or hex, which from_chars would read), each
  // within float range.
  bool ReadNumbers(std::vector<float>* values) {
    if (!Take('[')) return false;
    do {
      SkipSpace();
      const size_t digit = peek() == '-' ? p_ + 1 : p_;
      if (digit >= s_.size() || s_[digit] < '0' || s_[digit] > '9') return false;
      float value;
      const auto [end, error] = std::from_chars(s_.data() + p_, s_.data() + s_.size(), value);
      if (error != std::errc()) return false;
      values->push_back(value);
      p_ = end - s_.data();
      SkipSpace();
    } while (Take(','));
    return Take(']');
  }

 private:
  const std::string_view s_;
  size_t p_ = 0;
};

}  // namespace

std::optional<SplitJsonRow> SplitJsonVectorField(std::string_view line, std::string_view key) {
  Scanner in(line);
  in.SkipSpace();
  if (!in.Take('{')) return std::nullopt;
  SplitJsonRow row;
  row.rest = "{";
  bool found = false;
  in.SkipSpace();
  if (in.peek() == '}') return std::nullopt;  // no fields, so not the one asked for
  do {
    in.SkipSpace();
    const size_t field = in.at();
    bool escaped = false;
    if (!in.SkipString(&escaped) || escaped) return std::nullopt;
    const std::string_view name = line.substr(field + 1, in.at() - field - 2);
    in.SkipSpace();
    if (!in.Take(':')) return std::nullopt;
    in.SkipSpace();
    if (name == key) {
      if (found || !in.ReadNumbers(&row.vector)) return std::nullopt;
      found = true;
    } else {
      if (!in.SkipValue()) return std::nullopt;
      if (row.rest.size() > 1) row.rest += ',';
      row.rest.append(line.substr(field, in.at() - field));
    }
    in.SkipSpace();
  } while (in.Take(','));
  if (!in.Take('}')) return std::nullopt;
  in.SkipSpace();
  if (!in.done() || !found) return std::nullopt;
  row.rest += '}';
  return row;
}

}  // namespace tqdb
