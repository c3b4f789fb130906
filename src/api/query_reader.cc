// Query understanding: free text -> QueryReading. See docs/query-reading.md for the rules.
//
// Everything works on the normalised text (NormalizeQueryText): lower case, ASCII quotes and
// dashes, no thousands separators, single spaces. Each extractor is a small table of patterns;
// the evidence kept for every value is the matched words, so that the request parser can quote
// them in `assumptions`.
//
// Durability is read as two separate signals, because the two kinds of mistakes do not cost the
// same: reading "no acknowledged transaction may ever be lost" as standard loses data, reading
// "we can lose a second" as strict only costs speed.
//   - loss-averse (strict): statements that no committed work may be lost, and, weaker, domain
//     words (payments, ledger, billing, ...);
//   - loss-tolerant (standard when the tolerated loss is a bounded few seconds, relaxed
//     otherwise): statements that loss is fine, and, weaker, words such as cache, scratch,
//     staging.
// A tolerant statement preceded by a negation in the same clause ("it is NOT ok to lose a
// second") is a loss-averse statement.
#include "waltune/query_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "waltune/parse_number.h"
#include "waltune/units.h"

namespace waltune {
namespace {

// std::regex_traits<char> with the class lookups of \b, \w, \d and \s answered from tables.
// libstdc++'s matcher calls lookup_classname("w") and then isctype -- a string compare, a
// use_facet and a dynamic_cast -- for every character it tests at a word boundary; that was
// about half of the time of reading a query (perf over the request fuzz corpus). Same engine,
// same classes: the tables are filled from the base traits at construction, and any other
// class or an imbued locale falls through to them.
class TableRegexTraits : public std::regex_traits<char> {
  using Base = std::regex_traits<char>;

 public:
  TableRegexTraits() { Fill(); }

  template <typename It>
  char_class_type lookup_classname(It first, It last, bool icase = false) const {
    if (!icase && last - first == 1) {
      for (const Class& c : classes_) {
        if (*first == c.name) return c.mask;
      }
    }
    return Base::lookup_classname(first, last, icase);
  }

  bool isctype(char ch, char_class_type mask) const {
    for (const Class& c : classes_) {
      if (mask == c.mask) return c.member[static_cast<unsigned char>(ch)];
    }
    return Base::isctype(ch, mask);
  }

  locale_type imbue(locale_type locale) {
    locale_type old = Base::imbue(locale);
    Fill();
    return old;
  }

 private:
  struct Class {
    char name;
    char_class_type mask;
    bool member[256];
  };

  void Fill() {
    const char names[] = {'w', 'd', 's'};
    for (int i = 0; i < 3; ++i) {
      Class& c = classes_[i];
      c.name = names[i];
      c.mask = Base::lookup_classname(&names[i], &names[i] + 1, false);
      for (int ch = 0; ch < 256; ++ch) {
        c.member[ch] = Base::isctype(static_cast<char>(ch), c.mask);
      }
    }
  }

  Class classes_[3];
};

using Regex = std::basic_regex<char, TableRegexTraits>;
using RegexIterator = std::regex_iterator<std::string::const_iterator, char, TableRegexTraits>;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Numbers are parsed by waltune/parse_number.h (checked: never throws, rejects trailing garbage).

// "k", "thousand", "m", "million", ... -> factor.
double Multiplier(const std::string& m) {
  if (m.empty()) return 1;
  if (m == "k" || m == "thousand") return 1e3;
  if (m == "m" || m == "mm" || m == "mil" || m == "million" || m == "millions") return 1e6;
  if (m == "b" || m == "bn" || m == "billion") return 1e9;
  return 1;
}

// "second", "sec", "s", "minute", "min", "m", "hour", "h", "day" -> seconds.
double PeriodSeconds(const std::string& unit) {
  if (unit.empty()) return 1;
  switch (unit[0]) {
    case 'm':
      return unit.rfind("ms", 0) == 0 || unit.rfind("milli", 0) == 0 ? 1e-3 : 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    default:
      return 1;
  }
}

// "a", "an", "one", "two", "half a", "a couple of", "a few", or digits -> number.
std::optional<double> WordNumber(const std::string& w) {
  static const std::vector<std::pair<std::string, double>> kWords = {
      {"a", 1},        {"an", 1},       {"one", 1},     {"two", 2},         {"three", 3},
      {"four", 4},     {"five", 5},     {"ten", 10},    {"fifteen", 15},    {"twenty", 20},
      {"thirty", 30},  {"sixty", 60},   {"ninety", 90}, {"a couple of", 2}, {"a few", 3},
      {"half a", 0.5}, {"half an", 0.5}};
  for (const auto& [word, value] : kWords) {
    if (w == word) return value;
  }
  return ParseFiniteDouble(w);
}

// Appends the ASCII replacement of one UTF-8 code point at text[i..]; returns bytes consumed
// (0 when the code point is kept as is).
size_t MapUnicode(std::string_view text, size_t i, std::string* out) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const size_t n = text.size();
  if (at(i) == 0xC2 && i + 1 < n) {
    if (at(i + 1) == 0xA0) {  // U+00A0 no-break space
      out->push_back(' ');
      return 2;
    }
    if (at(i + 1) == 0xB4) {  // U+00B4 acute accent used as an apostrophe
      out->push_back('\'');
      return 2;
    }
  }
  if (at(i) == 0xCA && i + 1 < n && at(i + 1) == 0xBC) {  // U+02BC modifier letter apostrophe
    out->push_back('\'');
    return 2;
  }
  if (at(i) == 0xE2 && i + 2 < n) {
    const unsigned b1 = at(i + 1), b2 = at(i + 2);
    if (b1 == 0x80) {
      if (b2 >= 0x90 && b2 <= 0x95) {  // U+2010..2015 hyphens and dashes
        out->push_back('-');
        return 3;
      }
      if (b2 == 0x98 || b2 == 0x99 || b2 == 0x9A || b2 == 0x9B || b2 == 0xB2) {  // ‘ ’ ‚ ‛ ′
        out->push_back('\'');
        return 3;
      }
      if (b2 == 0x9C || b2 == 0x9D || b2 == 0x9E || b2 == 0xB3) {  // “ ” „ ″
        out->push_back('"');
        return 3;
      }
      if (b2 == 0xA6) {  // … ellipsis
        out->append("...");
        return 3;
      }
      if ((b2 >= 0x80 && b2 <= 0x8B) || b2 == 0xAF) {  // en/em/thin/narrow spaces, ZW space
        out->push_back(' ');
        return 3;
      }
    }
    if (b1 == 0x88 && b2 == 0x92) {  // U+2212 minus sign
      out->push_back('-');
      return 3;
    }
    if (b1 == 0x89 && b2 == 0x88) {  // U+2248 almost equal to
      out->push_back('~');
      return 3;
    }
    if (b1 == 0x89 && b2 == 0xA4) {  // U+2264 ≤
      out->append("<=");
      return 3;
    }
  }
  return 0;
}

// Removes thousands separators: "30,000" "30 000" "30'000" "30_000" -> "30000". A group is
// exactly three digits after a separator, the first group has one to three digits, and the number
// does not continue with another digit ("1,5" and "32 100ms" are left alone).
std::string DropThousandsSeparators(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (!IsDigit(s[i]) || (i > 0 && (IsAlnum(s[i - 1]) || s[i - 1] == '.'))) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    std::string number = s.substr(i, j - i);
    if (j - i <= 3) {
      size_t k = j;
      std::string merged = number;
      bool any = false;
      while (k + 3 < s.size() && (s[k] == ',' || s[k] == ' ' || s[k] == '\'' || s[k] == '_') &&
             IsDigit(s[k + 1]) && IsDigit(s[k + 2]) && IsDigit(s[k + 3]) &&
             (k + 4 >= s.size() || !IsDigit(s[k + 4]))) {
        // A space group only when the next thing is not a letter glued to it ("16 128gb").
        if (s[k] == ' ' && k + 4 < s.size() && IsAlnum(s[k + 4])) break;
        merged += s.substr(k + 1, 3);
        k += 4;
        any = true;
      }
      if (any) {
        out += merged;
        i = k;
        continue;
      }
    }
    out += number;
    i = j;
  }
  return out;
}

// libstdc++'s std::regex matches by recursion: every character a `+` or `*` consumes is one
// more nested call. "rpo" followed by 10,000 colons overflowed the 8 MiB stack of the normal
// build (99,000 colons even a 256 MiB one), and so did a 30,000-letter word (found by
// fuzz_request, measured with `ulimit -s`). Two rules bound the depth whatever the text's
// length: no pattern repeats a group without a bound (`{0,16}`, not `*`), and no run of
// non-space characters is longer than kMaxQueryTokenChars: a space breaks it here. No word, number
// or unit the patterns read is that long, and text without such a run is unchanged. Runs of
// spaces are already single.
std::string SplitLongTokens(std::string s) {
  size_t run = 0;
  for (char c : s) {
    run = c == ' ' ? 0 : run + 1;
    if (run > kMaxQueryTokenChars) break;
  }
  if (run <= kMaxQueryTokenChars) return s;
  std::string out;
  out.reserve(s.size() + s.size() / kMaxQueryTokenChars);
  run = 0;
  for (char c : s) {
    if (c == ' ') {
      run = 0;
    } else if (run == kMaxQueryTokenChars) {
      out.push_back(' ');
      run = 1;
    } else {
      ++run;
    }
    out.push_back(c);
  }
  return out;
}

struct Match {
  size_t pos = 0;
  std::string text;
  std::smatch groups;
};

std::vector<Match> AllMatches(const std::string& text, const Regex& re) {
  std::vector<Match> out;
  for (auto it = RegexIterator(text.begin(), text.end(), re); it != RegexIterator(); ++it) {
    out.push_back(Match{static_cast<size_t>(it->position(0)), it->str(0), *it});
  }
  return out;
}

// True when the clause before `pos` negates what follows ("it is not ok to lose a second",
// "we don't accept corruption"). The clause starts after the last . ; : ! ? , or " but ".
// Where the negation starts (for evidence), or npos when the clause is not negated.
size_t NegationBefore(const std::string& text, size_t pos) {
  size_t start = 0;
  for (size_t k = pos; k > 0; --k) {
    char c = text[k - 1];
    if (c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == ',' || c == '(') {
      start = k;
      break;
    }
    if (pos - k > 40) {
      start = k;
      break;
    }
  }
  std::string clause = text.substr(start, pos - start);
  size_t but = clause.rfind(" but ");
  if (but != std::string::npos) {
    clause = clause.substr(but + 5);
    start += but + 5;
  }
  static const Regex kNeg(
      R"(((^|[^a-z])(not|no|never|cannot|without|nor|neither|hardly|nothing|none)|n't)([^a-z]|$))");
  std::smatch m;
  if (!std::regex_search(clause, m, kNeg)) return std::string::npos;
  size_t at = start + static_cast<size_t>(m.position(0));
  while (at < text.size() && !IsAlnum(text[at]) && text[at] != '\'') ++at;
  // Back to the start of the word ("can't" rather than "n't").
  while (at > start && IsAlnum(text[at - 1])) --at;
  return at;
}

bool NegatedBefore(const std::string& text, size_t pos) {
  return NegationBefore(text, pos) != std::string::npos;
}

// ----- engine and version --------------------------------------------------------------------

bool PlausibleVersion(Engine e, const EngineVersion& v) {
  switch (e) {
    case Engine::kPostgreSQL:
      return (v.major >= 10 && v.major <= 30) || (v.major == 9 && v.minor > 0);
    case Engine::kMySQL:
      return v.major >= 5 && v.major <= 9;
    case Engine::kMariaDB:
      return v.major == 5 || (v.major >= 10 && v.major <= 12);
    case Engine::kSQLite:
      return v.major == 3;
  }
  return false;
}

std::optional<EngineVersion> VersionFromText(const std::string& t) {
  EngineVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  size_t start = 0;
  for (int k = 0; k < 3; ++k) {
    size_t dot = t.find('.', start);
    std::string part = t.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto n = ParseInteger<int>(part);
    if (!n || *n < 0 || *n > 9999) return std::nullopt;
    *parts[k] = *n;
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
  return std::nullopt;  // more than three parts
}

Engine EngineFromName(const std::string& name) {
  if (name.rfind("post", 0) == 0 || name.rfind("pg", 0) == 0 ||
      name.find("postgres") != std::string::npos) {
    return Engine::kPostgreSQL;
  }
  if (name.rfind("maria", 0) == 0) return Engine::kMariaDB;
  if (name.rfind("sqlite", 0) == 0) return Engine::kSQLite;
  return Engine::kMySQL;
}

// ----- durability ----------------------------------------------------------------------------

struct DurabilityPattern {
  Regex re;
  Durability level;
  Strength strength;
  bool negatable;  // a negation before it in the clause turns it into a loss-averse statement
};

const std::vector<DurabilityPattern>& DurabilityPatterns() {
  const auto S = Durability::kStrict;
  const auto T = Durability::kStandard;
  const auto R = Durability::kRelaxed;
  const auto X = Strength::kExplicit;
  const auto D = Strength::kDomain;
  // Words for "what gets lost" and for negated modals, shared by several patterns.
  const std::string kWork =
      R"((?:transactions?|txns?|commits?|writes?|orders?|payments?|rows?|records?|data|events?|messages?|entries|updates?|inserts?|trades?|bookings?|transfers?|sales?|notes?|documents?|jobs?|tickets?|items?|anything|nothing))";
  const std::string kNegModal =
      R"((?:can't|cannot|can not|couldn't|could not|must not|mustn't|must never|may never|may not|should never|shouldn't|should not|shall not|shall never|will never|won't|will not|can never|never|do not want to|don't want to|not allowed to|not permitted to|is not allowed to|are not allowed to|dont want to|cant|wont|mustnt|shouldnt|do not wish to|don't wish to))";
  // One pattern per entry, as written.
  // clang-format off
  static const std::vector<DurabilityPattern> kPatterns = {
      // ---- loss-averse statements
      // -----------------------------------------------------------
      {Regex(
           R"(\b(?:no|zero|0|without(?: any)?)[- ](?:data[- ]|acknowledged[- ]|committed[- ]|transaction[- ])?loss\b)"),
       S, X, false},
      {Regex(R"(\blossless\b|\bloss[- ]free\b|\bloss[- ]less\b)"), S, X, false},
      {Regex(
           R"(\b(?:zero|0)[- ]rpo\b|\brpo\s*(?:of|=|:|is|must be|should be|target(?: of)?|needs to be|has to be|\s){0,16}(?:zero|0|0 ?s|0 ?ms|none|nil)(?![\d]|\.\d)|\brpo\s*(?:=|of|:)?\s*zero\b)"),
       S, X, false},
      {Regex(
           "\\b" + kNegModal +
           R"(\s+(?:ever\s+|afford\s+to\s+|tolerate\s+|accept\s+|risk\s+|risking\s+|be\s+allowed\s+to\s+|want\s+to\s+|wish\s+to\s+){0,16}(?:los(?:e|ing)|drop(?:ping)?)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:can't|cannot|can not|couldn't|could not|must not|mustn't|won't|will not|do not|don't|does not|doesn't|should not|shouldn't)\s+(?:ever\s+)?(?:afford|tolerate|accept|risk|have|allow|permit|survive|live with|handle)\s+(?:any\s+|even\s+(?:a|one)\s+[a-z]+\s+of\s+|the\s+)?(?:data\s+|transaction\s+|commit\s+)?(?:loss|losing|lost)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:no|not a single|not one|not even one|not even a single|none of the|zero|never any|not any)\s+(?:[a-z'-]+\s+){0,2}?)" +
           kWork +
           R"(\s+(?:[a-z'-]+\s+){0,3}?(?:lost|dropped|go(?:es)? missing|disappears?|vanish(?:es)?)\b)"),
       S, X, false},
      {Regex(R"(\b)" + kWork + R"(\s+(?:[a-z'-]+\s+){0,2}?)" + kNegModal +
             R"(\s+(?:ever\s+)?(?:be\s+|get\s+|go\s+)(?:lost|dropped|missing)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:every|each|all|any)\s+(?:[a-z'-]+\s+){0,2}?)" + kWork +
           R"(\s+(?:[a-z'-]+\s+){0,3}?(?:must|has to|have to|needs? to|should|shall|will need to|is required to|are required to)\s+(?:[a-z'-]+\s+){0,2}?(?:survive|be durable|be persisted|persist|be on disk|hit (?:the )?disk|be flushed|be fsynced|be fsync'd|be synced|be safe|be preserved|be kept|be written to disk|reach (?:the )?disk)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:loss|losing\s+(?:any\s+)?(?:[a-z]+\s+)?(?:data|transactions|commits|writes|orders|payments|records|rows))\s+(?:of\s+(?:[a-z]+\s+){0,2})?(?:(?:is|would be|will be)\s+(?:not|never|absolutely not|simply not)|(?:would|will|could|should)\s+(?:not|never)\s+be)\s+(?:acceptable|ok|okay|an option|tolerable|allowed|tolerated|permitted|fine)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:data\s+)?loss\s+(?:of\s+(?:[a-z]+\s+){0,2})?(?:is\s+|would be\s+)?(?:unacceptable|intolerable|not acceptable|not an option|not ok|not okay|not tolerated|not allowed|out of the question|a non-starter|catastrophic)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:unacceptable|not acceptable|not ok|not okay|never ok|never acceptable)\s+(?:for us\s+)?to\s+lose\b)"),
       S, X, false},
      {Regex(R"(\bzero\s+tolerance\s+for\s+(?:any\s+)?(?:data\s+)?loss\b)"), S, X, false},
      {Regex(R"(\b(?:fully|strictly|completely|100%|absolutely|always)\s+durable\b)"), S, X, false},
      {Regex(
           R"(\b(?:strict(?:est)?|full|maximum|max|guaranteed|strong|hard)\s+durability\b|\bdurability\s+(?:is\s+)?(?:critical|paramount|essential|a must|non-negotiable|mandatory|the top priority|our top priority|our priority|top priority|required|more important than (?:speed|performance|throughput)))"),
       S, X, false},
      {Regex(
           R"(\bfsync(?:'d|ed)?\s+(?:on\s+|at\s+|after\s+|for\s+)?(?:every|each)\s+(?:commit|transaction|write)\b)"),
       S, X, false},
      {Regex(R"(\b(?:durable|synchronous|synced|fsynced)\s+(?:commits?|writes|transactions)\b)"), S,
       X, false},
      {Regex(
           R"(\b(?:must|has to|have to|needs? to|should|shall)\s+(?:[a-z]+\s+)?survive\s+(?:a\s+|an\s+|any\s+)?(?:sudden\s+)?(?:power\s+(?:loss|failure|outage|cut)|crash(?:es)?|kernel panic|os crash|pulled plug|hard reset|host failure)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:once|after|when)\s+(?:[a-z]+\s+){0,3}?(?:acknowledged|acked|committed|confirmed)\b[^.;]{0,40}?\b(?:must|has to|needs to)\s+(?:be\s+)?(?:durable|persisted|stay|survive|be on disk)\b)"),
       S, X, false},
      {Regex(R"(\b(?:full|strict)\s+acid\b|\bacid[- ](?:compliant|compliance|guarantees?)\b)"), S,
       X, false},
      // ---- loss-tolerant statements, bounded to seconds: standard
      // -----------------------------
      {Regex(
           R"(\b(?:can|could|may|might|ok to|okay to|fine to|acceptable to|able to|allowed to|happy to|willing to|prepared to|afford to|fine|ok with|okay with|fine with|comfortable with|happy with|(?:ok|okay|fine|acceptable|alright|no problem)\s+if\s+(?:we|you|it|they)|don't mind|do not mind)\s+(?:afford\s+to\s+|tolerate\s+|accept\s+)?los(?:e|ing)\s+(?:up to\s+|at most\s+|about\s+|around\s+|roughly\s+|maybe\s+|the last\s+|last\s+)?(?:~\s*)?(?:\d+(?:\.\d+)?\s*|one\s+|a\s+|an\s+|a\s+few\s+|few\s+|a\s+couple(?:\s+of)?\s+|two\s+|several\s+|half\s+a\s+)?(?:ms|milliseconds?|s|secs?|seconds?)\b)"),
       T, X, true},
      {Regex(
           R"(\blos(?:e|ing)\s+(?:(?:up to|at most|about|around|roughly|the last|last|maybe|only|just)\s+){0,16}(?:a\s+few\s+|an?\s+|one\s+|~\s*)?(?:\d+(?:\.\d+)?\s*|a\s+couple(?:\s+of)?\s+|few\s+)?(?:ms|milliseconds?|s|secs?|seconds?)\b(?:\s+(?:of\s+)?(?:[a-z-]+\s+){0,6}?)?(?:is|would be|are|will be|seems)\s+(?:fine|ok|okay|acceptable|tolerable|not a problem|no problem|no big deal|allowed|not the end of the world|survivable|an acceptable)\b)"),
       T, X, true},
      {Regex(
           R"(\b(?:a|one|\d+(?:\.\d+)?|few|a few|a couple of|two)\s+(?:[a-z]+\s+)?(?:ms|milliseconds?|seconds?|secs?|s)\s+(?:of\s+)?(?:[a-z]+\s+)?(?:data\s+|write\s+|transaction\s+|commit\s+)?loss\s+(?:on\s+(?:a\s+)?[a-z ]{0,30}?)?(?:is|would be|are|will be)\s+(?:fine|ok|okay|acceptable|tolerable|allowed|not a problem|no problem)\b)"),
       T, X, true},
      {Regex(
           R"(\brpo\s*(?:of|=|:|is|target(?: of)?|<|<=|under|below|up to|~|around|about|\s){0,16}(?:\d+(?:\.\d+)?|one|a few|a|few|two|five|ten)\s*(?:ms|milliseconds?|s|secs?|seconds?)\b)"),
       T, X, false},
      {Regex(R"(\bbounded\s+(?:data\s+)?loss\b)"), T, X, false},
      {Regex(
           R"(\b(?:must|has to|have to|needs? to|should|shall)\s+(?:be|stay|remain)\s+(?:fully\s+|100%\s+)?durable\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:data|transactions?|commits?|rows?|writes?|orders?|payments?|records?)\s+(?:was|were|got|went)\s+(?:gone|lost|missing)\b)"),
       S, X, false},
      {Regex(
           R"(\back(?:nowledge)?s?\s+(?:[a-z]+\s+)?only\s+(?:after|once|when)\b[^.;]{0,40}?\b(?:fsync\w*|flushed|on disk|durable|persisted|on stable storage)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:must|has to|needs? to|should)\s+(?:mean|guarantee|ensure)\b[^.;]{0,40}?\b(?:on disk|on stable storage|durable|persisted|fsynced)\b)"),
       S, X, false},
      // A loss that happened and was not acceptable, or a complaint about losing data.
      {Regex(
           R"(\b(?:lost|lose|losing|loss)\b(?:(?!corrupt|\bbut\b)[^.;!?]){0,80}?\b(?:not acceptable|unacceptable|not ok|not okay|a disaster|must not happen again|can't happen again|cannot happen again|never again)\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:users?|customers?|clients?|we|people)\s+(?:sometimes\s+|occasionally\s+|still\s+|keep\s+)?(?:lose|lost|are losing|losing)\s+(?:their\s+|some\s+|our\s+|recent\s+)?)" +
           kWork + R"(\b)"),
       S, X, false},
      {Regex(
           R"(\b(?:loss|lose|losing)\b[^.;]{0,40}?\b(?:no|not)\s+more\s+than\s+(?:a|one|two|a few|\d+(?:\.\d+)?)\s*(?:ms|milliseconds?|s|secs?|seconds?)\b)"),
       T, X, false},
      {Regex(
           R"(\b(?:must not|mustn't|must never|may never|may not|cannot|can't|can not|can never|should never|should not|shouldn't|shall not|will never)\s+(?:ever\s+)?(?:be|get|go)\s+(?:lost|dropped|missing)\b)"),
       S, X, false},
      // ---- loss-tolerant statements, unbounded: relaxed
      // ---------------------------------------
      {Regex(
           R"(\b(?:data\s+)?loss\s+(?:of\s+(?:[a-z]+\s+){0,3})?(?:(?:after|on|in|during|from)\s+(?:[a-z]+\s+){1,3})?(?:is|would be|will be)\s+(?:acceptable|fine|ok|okay|tolerable|not a problem|no problem|allowed|expected|no big deal)\b)"),
       R, X, true},
      {Regex(R"(\b(?:can|may|could|might)\s+(?:safely\s+|just\s+)?be\s+(?:lost|dropped)\b)"), R, X,
       true},
      {Regex(
           R"(\b(?:can|could|may|ok to|okay to|fine to|acceptable to|happy to|willing to|don't mind|do not mind)\s+(?:afford\s+to\s+)?los(?:e|ing)\s+(?:some|recent|a few|the last|minutes|several|data|writes|transactions|a bit|a little|everything|it all|a lot|hours?|an hour|a minute|the data|\d+(?:\.\d+)?\s*(?:min|mins|minutes|hours?|h)\b))"),
       R, X, true},
      {Regex(
           R"(\b(?:don't|do not|doesn't|does not)\s+(?:really\s+)?(?:care|matter)\s+(?:much\s+)?(?:about|if we lose|if it's lost|if data is lost)\s*(?:durability|losing|data loss|loss|the data|a crash)?)"),
       R, X, false},
      {Regex(
           R"(\bdurability\s+(?:is\s+)?(?:not\s+(?:important|a concern|a priority|needed|required|critical)|doesn't matter|does not matter|irrelevant|optional|unimportant|secondary))"),
       R, X, false},
      {Regex(
           R"(\b(?:can|could|will|would)\s+(?:always\s+|easily\s+|just\s+|simply\s+)?(?:be\s+)?(?:rebuil[dt]|regenerated?|recreated?|re-created?|reloaded|reload|re-?populated?|replayed|replay|re-?derived?|refilled|re-?sent|resent|re-?fetched|re-?computed|recomputed)\b)"),
       R, X, true},
      {Regex(
           R"(\b(?:re-?loadable|reproducible|disposable|throwaway|throw-away|ephemeral|scratch|transient|expendable|rebuildable)\b)"),
       R, X, false},
      {Regex(
           R"(\b(?:speed|performance|throughput)\s+(?:over|matters more than|is more important than|before)\s+(?:durability|safety)\b|\b(?:fsync\s*=\s*off|turn(?:ing)?\s+off\s+fsync|disable\s+fsync))"),
       R, X, false},
      // ---- domain words
      // ------------------------------------------------------------------------
      {Regex(
           R"(\b(?:payments?|financial|finance|fintech|banking|bank|ledgers?|billing|invoic(?:e|es|ing)|medical|healthcare|health records?|patients?|money|trading|accounting|wallets?|checkout|settlements?|card transactions|orders)\b|\border\s+(?:service|system|processing|data|table|database|db|management|book|entry|pipeline|history)\b)"),
       S, D, false},
      {Regex(
           R"(\b(?:analytics|staging|sandbox|prototype|demo|benchmark(?:ing)?|load[- ]test(?:ing)?|(?:a|the|our|is a|read|redis|app|application|query|build|http|api|session|results?|object|lookup|local|disposable)\s+cache|caching\s+(?:layer|tier|table|db|database|service)|cache\s+(?:db|database|table|tier|layer|store|server|instance|only)|session store|sessions? table|metrics|telemetry|(?:test(?:ing)?|dev(?:elopment)?|ci|qa)\s+(?:env|environment|database|db|instance|server|box|cluster|copy|data))\b)"),
       R, D, false},
  };
  // clang-format on
  return kPatterns;
}

// Keeps the stronger of two readings of the same direction; on a tie the stricter, then the
// first found.
void KeepBest(std::optional<DurabilityReading>* slot, DurabilityReading r) {
  if (!*slot) {
    *slot = std::move(r);
    return;
  }
  if (r.strength > (*slot)->strength ||
      (r.strength == (*slot)->strength && r.level < (*slot)->level)) {
    *slot = std::move(r);
  }
}

void ReadDurability(const std::string& t, QueryReading* q) {
  for (const auto& p : DurabilityPatterns()) {
    for (const Match& m : AllMatches(t, p.re)) {
      if (p.level == Durability::kStrict) {
        KeepBest(&q->loss_averse, {p.level, p.strength, m.text});
        continue;
      }
      if (size_t neg = p.negatable ? NegationBefore(t, m.pos) : std::string::npos;
          neg != std::string::npos) {
        // "it is not ok to lose a second": a loss-averse statement; the evidence starts at the
        // negation.
        KeepBest(&q->loss_averse, {Durability::kStrict, Strength::kExplicit,
                                   t.substr(neg, m.pos + m.text.size() - neg)});
        continue;
      }
      KeepBest(&q->loss_tolerant, {p.level, p.strength, m.text});
    }
  }
}

// ----- rates, durations, sizes ---------------------------------------------------------------

const char* kNum = R"((\d+(?:\.\d+)?)\s*(k|thousand|millions?|mil|mm|m|bn|billion)?)";

void ReadRate(const std::string& t, QueryReading* q) {
  // Number + compound unit: "30k tps", "1.2k commits/s" (via the noun pattern), "500 tpm".
  static const Regex kCompound(
      std::string(R"(\b)") + kNum +
      R"(\+?\s*(tps|tpm|tph|wps|cps|tx/s|txn/s|trx/s|tx/sec|txn/sec|w/s)(?![a-z]))");
  // Number + noun + period: "400 transactions a second", "2 million writes per minute".
  static const Regex kNoun(
      std::string(R"(\b)") + kNum +
      R"(\+?\s*(?:[a-z-]+\s+){0,2}?(?:transactions?|txns?|txs|tx|trx|xacts?|writes?|inserts?|updates?|commits?|upserts?|events?|rows?|records?|messages?|orders?|payments?|write\s+(?:ops|operations|requests|queries))\s*(?:per|a|an|each|every|/|in\s+a|in\s+one)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b)");
  // Label + number: "TPS: 30k", "write rate of 4000/s", "peak tps ~ 12000".
  static const Regex kLabel(
      std::string(
          R"(\b(?:tps|(?:write|commit|insert|transaction|ingest)\s+rate)\s*(?:of|is|at|around|about|approx\.?|roughly|~|:|=|peaks?\s+at|up\s+to|reaching|target|\s){0,16})") +
      kNum + R"((?:\s*(?:/\s*s|/\s*sec|per\s+second|tps))?(?![a-z\d]|\.\d))");
  struct Found {
    double tps;
    std::string evidence;
  };
  std::vector<Found> found;
  auto add = [&](const Match& m, double tps) {
    if (tps > 0) found.push_back({tps, m.text});
  };
  for (const Match& m : AllMatches(t, kCompound)) {
    auto n = ParseFiniteDouble(m.groups[1].str());
    if (!n) continue;
    std::string unit = m.groups[3].str();
    double per = unit == "tpm" ? 60 : unit == "tph" ? 3600 : 1;
    add(m, *n * Multiplier(m.groups[2].str()) / per);
  }
  for (const Match& m : AllMatches(t, kNoun)) {
    auto n = ParseFiniteDouble(m.groups[1].str());
    if (!n) continue;
    add(m, *n * Multiplier(m.groups[2].str()) / PeriodSeconds(m.groups[3].str()));
  }
  for (const Match& m : AllMatches(t, kLabel)) {
    auto n = ParseFiniteDouble(m.groups[1].str());
    if (!n) continue;
    add(m, *n * Multiplier(m.groups[2].str()));
  }
  if (found.empty()) return;
  // The largest rate stated ("2k on average, 10k at peak" -> 10k): the harder target.
  auto best = std::max_element(found.begin(), found.end(),
                               [](const Found& a, const Found& b) { return a.tps < b.tps; });
  if (best->tps > kMaxWriteRateTps) {
    q->absurd.push_back("'" + best->evidence +
                        "' is absurd: above 5M tps no single server "
                        "commits that fast");
    return;
  }
  q->write_rate_tps = Reading<double>{best->tps, best->evidence};
}

const char* kDur =
    R"(\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|sixty|ninety|half\s+an?|a\s+couple\s+of|a\s+few)\s*-?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b)";

void ReadRecovery(const std::string& t, QueryReading* q) {
  static const Regex kAfter(
      std::string(
          R"(\b(rto|recover(?:y|ed|s|ing)?|(?:be|are|is|get|come|coming|bring\s+it|bring\s+the\s+db|bring\s+the\s+database)\s+back|back\s+(?:online|up\s+and\s+running|in\s+service)|restart(?:s|ed|ing)?|downtime|be\s+up\s+again|available\s+again|online\s+again|outage)\b([^.;!?]{0,60}?))") +
      kDur);
  static const Regex kBefore(
      std::string(R"(\b)") + kDur +
      R"(\s*(?:of\s+)?(?:rto|recovery(?:\s+time)?(?:\s+objective|\s+target)?|downtime|restart(?:\s+time)?)\b)");
  static const Regex kLossNear(R"(\b(?:los[es]|losing|lost|rpo)\b)");
  static const Regex kOfData(
      R"(^\s*(?:of\s+)?(?:[a-z]+\s+)?(?:data|writes?|transactions?|commits?|loss|wal|redo|log))");
  auto take = [&](const Match& m, const std::string& num, const std::string& unit) -> bool {
    auto n = WordNumber(num);
    if (!n || *n <= 0) return false;
    double s = *n * PeriodSeconds(unit);
    if (s > kMaxRecoveryTargetS) {
      q->absurd.push_back("'" + m.text + "' is absurd: a recovery target of more than 7 days");
      return true;
    }
    q->recovery_target_s = Reading<double>{s, m.text};
    return true;
  };
  for (const Match& m : AllMatches(t, kAfter)) {
    if (std::regex_search(m.groups[2].str(), kLossNear)) continue;  // "lose 1 s on restart"
    std::string rest = t.substr(m.pos + m.text.size());
    if (std::regex_search(rest, kOfData)) continue;  // "restart ... 5 seconds of data"
    if (take(m, m.groups[3].str(), m.groups[4].str())) return;
  }
  for (const Match& m : AllMatches(t, kBefore)) {
    if (take(m, m.groups[1].str(), m.groups[2].str())) return;
  }
}

std::optional<uint64_t> SizeBytes(const std::string& num, const std::string& unit) {
  auto b = ParseBytes(num + unit, "query");
  if (!b.ok()) return std::nullopt;
  return *b;
}

void ReadSizes(const std::string& t, QueryReading* q) {
  const std::string kSize = R"((\d+(?:\.\d+)?)\s*(kb|kib|mb|mib|gb|gib|tb|tib|g|t)\b)";
  static const Regex kWsAfter(
      R"(\b(?:working\s*set|hot\s+(?:set|data(?:\s*set)?|pages)|active\s+data(?:\s*set)?)\s*(?:of|is|:|=|~|about|around|approx\.?|roughly|under|below|maybe|\s){0,16})" +
      kSize);
  static const Regex kWsBefore(R"(\b)" + kSize +
                               R"(\s+(?:of\s+)?(?:working\s*set|hot\s+(?:set|data)))");
  static const Regex kDataAfter(
      R"(\b(?:database|db|data\s*set|dataset|data\s+size|total\s+data)\s+(?:size\s+)?(?:is|of|:|~|about|around|roughly|=|holds|\s){0,16})" +
      kSize);
  static const Regex kDataBefore(R"(\b)" + kSize +
                                 R"(\s+(?:of\s+data|database|db|dataset|data\s*set))");
  static const Regex kMemAfter(R"(\b(?:ram|memory)\s*(?:of|is|:|=|\s){0,16})" + kSize);
  static const Regex kMemBefore(R"(\b)" + kSize + R"(\s+(?:of\s+)?(?:ram|memory)\b)");
  auto first = [&](const Regex& a, const Regex& b) -> std::optional<Reading<uint64_t>> {
    for (const Regex* re : {&a, &b}) {
      std::smatch m;
      if (std::regex_search(t, m, *re)) {
        if (auto bytes = SizeBytes(m[1].str(), m[2].str()); bytes && *bytes > 0) {
          return Reading<uint64_t>{*bytes, m[0].str()};
        }
      }
    }
    return std::nullopt;
  };
  q->working_set_bytes = first(kWsAfter, kWsBefore);
  q->data_size_bytes = first(kDataAfter, kDataBefore);
  q->memory_bytes = first(kMemAfter, kMemBefore);
}

void ReadConcurrency(const std::string& t, QueryReading* q) {
  static const Regex kCount(
      R"(\b(\d{1,7}(?:\.\d+)?)\s*(k|thousand|millions?|m)?\s+(?:[a-z-]+\s+){0,2}?(?:connections|conns|clients|sessions|writers|writer\s+threads|threads|backends|workers|worker\s+processes|concurrent\s+users|active\s+users)\b(?!\s*(?:per|/|a\s+second)))");
  static const Regex kPool(
      R"(\b(?:pool\s+(?:of|size(?:\s+of)?|size\s*[:=]|with)\s*(?:about\s+|around\s+|~)?(\d{1,7})|(\d{1,7})[- ]connection\s+pool|max\s+pool\s+size\s*(?:of|[:=])?\s*(\d{1,7})))");
  static const Regex kConcurrent(R"(\bconcurrency\s*(?:of|is|:|=|~|\s){0,16}(\d{1,7})\b)");
  auto take = [&](double n, const std::string& evidence) {
    if (n > kMaxConcurrency) {
      q->absurd.push_back("'" + evidence + "' is absurd: more than 100000 clients");
    } else if (n >= 1 && n == std::floor(n)) {
      q->concurrency = Reading<int>{static_cast<int>(n), evidence};
    }
  };
  std::smatch m;
  if (std::regex_search(t, m, kCount)) {  // "32 app connections", "2 million connections"
    if (auto n = ParseFiniteDouble(m[1].str()))
      return take(*n * Multiplier(m[2].str()), m[0].str());
  }
  for (const Regex* re : {&kPool, &kConcurrent}) {
    if (!std::regex_search(t, m, *re)) continue;
    for (size_t g = 1; g < m.size(); ++g) {
      if (!m[g].matched) continue;
      if (auto n = ParseFiniteDouble(m[g].str())) return take(*n, m[0].str());
    }
  }
}

void ReadStorage(const std::string& t, QueryReading* q) {
  static const Regex kBbu(
      R"(\b(?:bbu|bbwc|fbwc|battery[- ]backed|battery[- ]backup|flash[- ]backed(?:\s+(?:write\s+)?cache)?|nvram|write[- ]back\s+cache|raid\s+(?:controller|card)\s+with\s+(?:a\s+)?(?:protected\s+|battery\s+|non-volatile\s+)?cache|cache[- ]protected)\b)");
  static const Regex kHdd(
      R"(\b(?:hdds?|spinning\s+(?:disks?|drives?|rust|media)|spinners|hard\s+(?:disk|drive)s?|rotational|rotating\s+(?:disks?|drives?)|\d+k?\s*rpm|sas\s+(?:disks?|drives?|hdds?)|sata\s+(?:disks?|hdds?)|magnetic\s+(?:disks?|drives?)|nearline)\b)");
  static const Regex kNvme(R"(\b(?:nvme|optane|pcie\s+(?:ssd|flash))\b)");
  static const Regex kSsd(
      R"(\b(?:(?:sata\s+)?ssds?|solid[- ]state|flash\s+(?:drives?|storage|disks?))\b)");
  static const Regex kPlp(
      R"(\b(?:plp|power[- ]loss[- ]protect(?:ion|ed)|power[- ]loss\s+protected|power[- ]fail(?:ure)?[- ]protect(?:ion|ed)|capacitors?|supercaps?|super-?capacitors?|enterprise[- ](?:grade\s+)?(?:ssds?|nvme|flash|drives?|disks?)|data\s*cent(?:er|re)\s+(?:ssds?|nvme|drives?|grade))\b)");
  auto first = [&](const Regex& re) -> std::optional<Match> {
    for (const Match& m : AllMatches(t, re)) {
      if (!NegatedBefore(t, m.pos)) return m;
    }
    return std::nullopt;
  };
  std::optional<Match> plp = first(kPlp);
  if (auto m = first(kBbu)) {
    q->storage = Reading<StorageClass>{StorageClass::kBatteryBackedCache, m->text};
    return;
  }
  // The first device named ("HDD ... later NVMe" -> HDD).
  std::optional<Match> hdd = first(kHdd), nvme = first(kNvme), ssd = first(kSsd);
  const Match* dev = nullptr;
  for (const auto* m : {&hdd, &nvme, &ssd}) {
    if (*m && (!dev || (*m)->pos < dev->pos)) dev = &**m;
  }
  if (dev == &*hdd && hdd) {
    q->storage = Reading<StorageClass>{StorageClass::kHdd, hdd->text};
    return;
  }
  if (plp) {
    std::string ev = dev ? dev->text + " ... " + plp->text : plp->text;
    if (dev && plp->pos < dev->pos) ev = plp->text + " ... " + dev->text;
    q->storage = Reading<StorageClass>{StorageClass::kEnterpriseFlash, ev};
    return;
  }
  if (dev) {
    q->storage = Reading<StorageClass>{
        dev == &*nvme && nvme ? StorageClass::kConsumerNvme : StorageClass::kSataSsd, dev->text};
  }
}

void ReadReplication(const std::string& t, QueryReading* q) {
  static const Regex kNone(
      R"(\b(?:no|without|don't use|do not use|not using|zero)\s+(?:any\s+)?(?:replication|replicas?|standbys?|slaves?)\b|\b(?:single|one)[- ](?:node|server|instance|box)\b|\bstandalone\b)");
  static const Regex kLogical(R"(\blogical\s+(?:replication|decoding)|\bcdc\b|debezium)");
  static const Regex kPhysical(
      R"(\b(?:replicas?|replication|standbys?|streaming\s+replication|hot\s+standby|failover|binlog|binary\s+log|slaves?|read\s+replicas?|primary/replica)\b)");
  std::smatch m;
  if (std::regex_search(t, m, kNone)) {
    q->replication = Reading<Replication>{Replication::kNone, m[0].str()};
  } else if (std::regex_search(t, m, kLogical)) {
    q->replication = Reading<Replication>{Replication::kLogical, m[0].str()};
  } else if (std::regex_search(t, m, kPhysical)) {
    q->replication = Reading<Replication>{Replication::kPhysical, m[0].str()};
  }
}

void ReadCorruption(const std::string& t, QueryReading* q) {
  static const Regex kAccept(
      R"(\bcorrupt(?:ion|ed)?\s+(?:risk\s+)?(?:is\s+|would be\s+)?(?:acceptable|fine|ok|okay|tolerable|not a problem|no problem|allowed)\b|\b(?:accept|tolerate|live with|ok with|okay with|fine with|risk)\s+(?:the\s+|a\s+|some\s+)?(?:risk\s+of\s+)?(?:database\s+|db\s+|file\s+)?corruption\b|\b(?:can|could|will|would|'ll|just)\s+(?:always\s+|simply\s+|just\s+)?(?:rebuild|recreate|regenerate|re-create|delete)\s+(?:the\s+|it\s+|our\s+|this\s+)?(?:database|db|file|sqlite file|it|from scratch)\b|\b(?:database|db|file)\s+can\s+(?:always\s+|just\s+)?be\s+(?:rebuilt|recreated|regenerated|deleted|thrown away)\b)");
  for (const Match& m : AllMatches(t, kAccept)) {
    if (NegatedBefore(t, m.pos)) continue;
    q->accepts_corruption_risk = Reading<bool>{true, m.text};
    return;
  }
}

void ReadWritePattern(const std::string& t, QueryReading* q) {
  static const Regex kAppend(
      R"(\b(?:append[- ]only|insert[- ]only|inserts?\s+only|only\s+inserts?|time[- ]series|event\s+(?:log|store|stream)|audit\s+log|log\s+ingestion)\b)");
  std::smatch m;
  if (std::regex_search(t, m, kAppend))
    q->write_pattern = Reading<std::string>{"append", m[0].str()};
}

void ReadOutOfScope(const std::string& t, QueryReading* q) {
  struct Topic {
    Regex re;
    const char* note;
  };
  static const std::vector<Topic> kTopics = {
      {Regex(
           R"(\b(which|what)\s+(database|engine|db)\b|\bshould\s+(i|we)\s+(use|choose|pick|switch)|\bchoose\s+between\b|\b(postgres(ql)?|mysql|mariadb|sqlite)\s+(vs\.?|versus|or)\s+(postgres(ql)?|mysql|mariadb|sqlite)\b|\bmigrat(e|ion)\s+(to|from)\b)"),
       "engine choice: waltune configures the engine you run; choosing one is for an "
       "engine-selection step"},
      {Regex(R"(\b(index(es|ing)?|indices|slow\s+quer(y|ies)|query\s+plans?|explain|join)\b)"),
       "indexes and query tuning are out of scope; waltune only configures WAL, checkpoints, "
       "group commit and durability"},
      {Regex(
           R"(\b(isolation\s+levels?|serializable|repeatable\s+read|read\s+committed|deadlocks?|locking)\b)"),
       "isolation levels and locking are out of scope"},
      {Regex(
           R"(\b(schema|normali[sz](e|ation)|table\s+design|data\s+model(l)?ing|partition(ing)?|sharding)\b)"),
       "schema design, partitioning and sharding are out of scope"},
      {Regex(
           R"(\b(set\s*up|setup|configure|configuring)\s+(a\s+)?(replica(s|tion)?|standby|failover)|\bfailover\b|\bpatroni\b|\bgalera\b|\bgroup\s+replication\b)"),
       "replication setup (replicas, failover) is out of scope; waltune only sets the WAL level "
       "or binary log that replication needs"},
  };
  for (const auto& topic : kTopics) {
    if (std::regex_search(t, topic.re)) q->out_of_scope.push_back(topic.note);
  }
}

}  // namespace

namespace {

std::string NormalizeUnsplit(std::string_view text) {
  std::string mapped;
  mapped.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t used = MapUnicode(text, i, &mapped);
    if (used) {
      i += used;
      continue;
    }
    char c = text[i++];
    if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') c = ' ';
    if (c == '`') c = '\'';
    mapped.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  std::string collapsed;
  collapsed.reserve(mapped.size());
  for (char c : mapped) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed.push_back(c);
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return DropThousandsSeparators(collapsed);
}

}  // namespace

std::string NormalizeQueryText(std::string_view text) {
  return SplitLongTokens(NormalizeUnsplit(text));
}

size_t LongestDigitRun(std::string_view text) {
  size_t longest = 0, run = 0;
  for (char c : NormalizeUnsplit(text)) {
    run = IsDigit(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::optional<Reading<Engine>> FindEngine(std::string_view normalized,
                                          std::optional<Reading<EngineVersion>>* version,
                                          std::vector<Engine>* all_named) {
  const std::string t(normalized);
  static const Regex kEngine(
      R"(\b(postgresql|postgres|pgsql|pg|mysql|percona(?:\s+server)?|innodb|mariadb|maria\s+db|sqlite3|sqlite|aurora\s+postgres(?:ql)?|aurora\s+mysql)(?:[\s-]{0,16}(?:v|version|ver\.?|release)?\s*(\d{1,2}(?:\.\d{1,4}){0,2})(?![\d]|\.\d|\s*(?:k|%|x|gb|mb|tb|tps|ms|s|sec|secs|seconds|min|minutes|h|hours|connections|clients|replicas?|nodes|servers|cores|cpus?|instances|tables|rows|writes|users)\b))?(?![a-z_]))");
  static const Regex kLooseVersion(R"(\b(?:version|ver\.?|v)\s*(\d{1,2}(?:\.\d{1,4}){0,2})\b)");
  std::vector<Match> matches = AllMatches(t, kEngine);
  bool maria = false;
  for (const Match& m : matches) {
    if (EngineFromName(m.groups[1].str()) == Engine::kMariaDB) maria = true;
  }
  std::optional<Reading<Engine>> engine;
  for (const Match& m : matches) {
    std::string name = m.groups[1].str();
    if (maria && name == "innodb") continue;  // InnoDB is also MariaDB's storage engine
    Engine e = EngineFromName(name);
    if (all_named && std::find(all_named->begin(), all_named->end(), e) == all_named->end()) {
      all_named->push_back(e);
    }
    if (engine) continue;
    engine = Reading<Engine>{e, m.text};
    if (version && m.groups[2].matched) {
      if (auto v = VersionFromText(m.groups[2].str()); v && PlausibleVersion(e, *v)) {
        *version = Reading<EngineVersion>{*v, m.text};
      }
    }
  }
  // "migrate from MySQL 5.7 to PostgreSQL 16": the engine to configure is the target.
  static const Regex kTarget(
      R"(\b(?:migrat\w*|mov(?:e|ing)|switch\w*|port(?:ing)?|upgrad\w*|go(?:ing)?)\b(?:[^.;]|\.\d){0,80}?\bto\s+(postgresql|postgres|pg|mysql|percona(?:\s+server)?|mariadb|sqlite3?)(?:[\s-]{0,16}(?:v|version)?\s*(\d{1,2}(?:\.\d{1,4}){0,2})(?![\d]|\.\d))?(?![a-z_]))");
  // "upgrading from PostgreSQL 12 to 16": the version to configure is the target.
  static const Regex kUpgrade(
      R"(\bupgrad\w*\b(?:[^.;]|\.\d){0,80}?\bto\s+(?:v|version\s*)?(\d{1,2}(?:\.\d{1,4}){0,2})(?![\d]|\.\d|\s*(?:k|%|gb|tps|connections|clients)\b))");
  // "We considered MySQL but recommend PostgreSQL 16": the engine recommended or chosen.
  static const Regex kChosen(
      R"(\b(?:recommend\w*|suggest\w*|choose|chose|chosen|pick(?:ed)?|select(?:ed)?|go(?:ing)?\s+with|went\s+with|winner|verdict|decided\s+on|settled\s+on)\b\s*(?::|is|would be|=|-)?\s*(?:to\s+use\s+|using\s+)?(postgresql|postgres|pg|mysql|percona(?:\s+server)?|mariadb|sqlite3?)(?:[\s-]{0,16}(?:v|version)?\s*(\d{1,2}(?:\.\d{1,4}){0,2})(?![\d]|\.\d))?(?![a-z_]))");
  std::smatch target;
  if (engine && (std::regex_search(t, target, kTarget) || std::regex_search(t, target, kChosen))) {
    Engine e = EngineFromName(target[1].str());
    engine = Reading<Engine>{e, target[0].str()};
    if (version) {
      version->reset();
      if (target[2].matched) {
        if (auto v = VersionFromText(target[2].str()); v && PlausibleVersion(e, *v)) {
          *version = Reading<EngineVersion>{*v, target[0].str()};
        }
      }
    }
  } else if (engine && version && std::regex_search(t, target, kUpgrade)) {
    if (auto v = VersionFromText(target[1].str()); v && PlausibleVersion(engine->value, *v)) {
      *version = Reading<EngineVersion>{*v, target[0].str()};
    }
  }
  if (engine && version && !*version) {  // "We run MySQL; the version is 8.0.20"
    for (const Match& m : AllMatches(t, kLooseVersion)) {
      if (auto v = VersionFromText(m.groups[1].str()); v && PlausibleVersion(engine->value, *v)) {
        *version = Reading<EngineVersion>{*v, m.text};
        break;
      }
    }
  }
  return engine;
}

std::optional<DurabilityReading> QueryReading::Overall() const {
  if (loss_averse && loss_averse->strength == Strength::kExplicit) return loss_averse;
  if (loss_tolerant && loss_tolerant->strength == Strength::kExplicit) return loss_tolerant;
  if (loss_averse) return loss_averse;
  return loss_tolerant;
}

QueryReading ReadQuery(std::string_view raw) {
  QueryReading q;
  const std::string t = NormalizeQueryText(raw);
  if (t.empty()) return q;
  q.engine = FindEngine(t, &q.version, &q.engines_named);
  ReadDurability(t, &q);
  ReadRate(t, &q);
  ReadRecovery(t, &q);
  ReadStorage(t, &q);
  ReadConcurrency(t, &q);
  ReadSizes(t, &q);
  ReadReplication(t, &q);
  ReadCorruption(t, &q);
  ReadWritePattern(t, &q);
  ReadOutOfScope(t, &q);
  return q;
}

std::optional<DurabilityReading> ReadDurabilityPhrase(std::string_view raw) {
  const std::string s = NormalizeQueryText(raw);
  static const std::vector<std::pair<std::vector<std::string>, Durability>> kNames = {
      {{"strict",
        "fsync every commit",
        "fsync on every commit",
        "fsync each commit",
        "every commit",
        "sync every commit",
        "full",
        "durable",
        "synchronous",
        "no data loss",
        "zero data loss",
        "group commit",
        "synchronous group commit",
        "durable group commit",
        "sync",
        "fully durable",
        "zero rpo",
        "rpo 0",
        "rpo=0",
        "acid"},
       Durability::kStrict},
      {{"standard", "normal", "balanced", "bounded", "default", "bounded loss"},
       Durability::kStandard},
      {{"relaxed", "async", "asynchronous", "none", "fast", "max throughput", "best effort", "off",
        "asynchronous commit", "async commit"},
       Durability::kRelaxed},
  };
  for (const auto& [names, level] : kNames) {
    for (const auto& n : names) {
      if (s == n) return DurabilityReading{level, Strength::kExplicit, s};
    }
  }
  QueryReading q;
  ReadDurability(s, &q);
  return q.Overall();
}

}  // namespace waltune
