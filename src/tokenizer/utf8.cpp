#include "tokenizer/utf8.h"

#include <array>

namespace r1::utf8 {

namespace {

// Bytes allowed right after a lead byte (Unicode Table 3-7); 0 = not a lead.
struct Lead {
  uint8_t len, lo, hi;
};

Lead lead_of(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Number of bytes at s[i] that form a valid prefix of a sequence (at least 1),
// and whether the sequence is complete.
size_t valid_prefix(std::string_view s, size_t i, bool& complete) {
  const Lead l = lead_of(static_cast<uint8_t>(s[i]));
  complete = false;
  if (l.len == 0) return 1;
  if (l.len == 1) {
    complete = true;
    return 1;
  }
  size_t n = 1;
  while (n < l.len && i + n < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i + n]);
    const uint8_t lo = n == 1 ? l.lo : 0x80, hi = n == 1 ? l.hi : 0xBF;
    if (c < lo || c > hi) return n;
    ++n;
  }
  complete = n == l.len;
  return n;
}

struct ByteTable {
  std::array<uint32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};
  ByteTable() {
    to_byte.fill(-1);
    uint32_t extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_char[b] = printable ? b : 256 + extra++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable t;
  return t;
}

}  // namespace

size_t valid_length(std::string_view s, size_t i) {
  bool complete;
  size_t n = valid_prefix(s, i, complete);
  return complete ? n : 0;
}

uint32_t next(std::string_view s, size_t& i) {
  const uint8_t b = static_cast<uint8_t>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  const size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  uint32_t cp = b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string repair(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Copy the valid ASCII run quickly.
    size_t j = i;
    while (j < s.size() && static_cast<uint8_t>(s[j]) < 0x80) ++j;
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    bool complete;
    const size_t n = valid_prefix(s, i, complete);
    if (complete) {
      out.append(s.data() + i, n);
    } else {
      out += "\xEF\xBF\xBD";
    }
    i += n;
  }
  return out;
}

size_t incomplete_tail(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const size_t i = s.size() - back;
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    bool complete;
    const size_t n = valid_prefix(s, i, complete);
    return (!complete && i + n == s.size() && lead_of(b).len > 1) ? back : 0;
  }
  return 0;
}

uint32_t byte_to_char(uint8_t b) {
  return byte_table().to_char[b];
}

int char_to_byte(uint32_t cp) {
  return cp < 512 ? byte_table().to_byte[cp] : -1;
}

}  // namespace r1::utf8
