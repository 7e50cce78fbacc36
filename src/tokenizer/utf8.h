// UTF-8 helpers the tokenizer needs: decoding one code point, repairing invalid
// input the way Rust's String::from_utf8_lossy does (one U+FFFD per maximal
// invalid subpart), and GPT-2's byte <-> printable-character table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace r1::utf8 {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there
// are not a complete valid sequence.
size_t valid_length(std::string_view s, size_t i);

// Decodes the code point at s[i] (which must be valid) and advances i.
uint32_t next(std::string_view s, size_t& i);

void append(std::string& out, uint32_t cp);

// Replaces each maximal invalid subpart with U+FFFD (Rust/Python "replace").
std::string repair(std::string_view bytes);

// How many trailing bytes of `bytes` are the start of a UTF-8 sequence that
// could still become valid when more bytes arrive (0..3).
size_t incomplete_tail(std::string_view bytes);

// GPT-2 byte-level alphabet: every byte maps to one printable code point
// (printable Latin-1 bytes to themselves, the rest to U+0100 + n).
uint32_t byte_to_char(uint8_t b);
// The byte a byte-level code point stands for, or -1 if it is not in the table.
int char_to_byte(uint32_t cp);

}  // namespace r1::utf8
