// Typed reader and writer for wire payloads, and the frame header codec.
// No I/O here: callers own their sockets. See wire.hpp for the layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/wire.hpp"

namespace kotp::wire {

enum class DecodeError : std::uint8_t {
    None = 0,
    Truncated,       // a field runs past the end of the payload
    TooLong,         // a string or list longer than its limit, or a frame over the cap
    NulInString,     // a string contains a NUL byte
    TrailingBytes,   // bytes left after the last field
    BadVersion,      // header version != kProtocolVersion
    BadValue,        // an enum or flag outside its range
    UnexpectedType,  // a valid frame of a type the receiver does not accept here
};

const char* to_string(DecodeError error) noexcept;

// The message's name ("AuthStep", "UserInfo" ...), or "unknown" for a value that is none.
const char* to_string(MessageType type) noexcept;

struct FrameHeader {
    std::uint32_t payload_length = 0;
    std::uint16_t version = 0;
    MessageType type{};
};

// Parses the 8 header bytes and checks version and the payload cap. The type is not checked
// here: the receiver knows which types it accepts.
DecodeError parse_header(std::span<const std::uint8_t, kHeaderSize> bytes, std::uint32_t max_payload,
                         FrameHeader& out) noexcept;

class Writer {
public:
    void put_u8(std::uint8_t v) { buf_.push_back(v); }
    void put_u16(std::uint16_t v);
    void put_u32(std::uint32_t v);
    void put_u64(std::uint64_t v);
    void put_i64(std::int64_t v) { put_u64(static_cast<std::uint64_t>(v)); }
    // A string over max_length, or with a NUL byte, marks the writer failed: encode_frame then
    // returns an empty frame and the caller reports the bad value instead of sending it.
    void put_string(std::string_view s, std::size_t max_length);
    void fail() { ok_ = false; }
    bool ok() const { return ok_; }

    const std::vector<std::uint8_t>& bytes() const { return buf_; }
    std::vector<std::uint8_t>& bytes() { return buf_; }

private:
    std::vector<std::uint8_t> buf_;
    bool ok_ = true;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> payload) : data_(payload) {}

    bool get_u8(std::uint8_t& v);
    bool get_u16(std::uint16_t& v);
    bool get_u32(std::uint32_t& v);
    bool get_u64(std::uint64_t& v);
    bool get_i64(std::int64_t& v);
    bool get_string(std::string& out, std::size_t max_length);
    // Succeeds only if every byte was consumed; sets TrailingBytes otherwise.
    bool finish();

    DecodeError error() const { return error_; }
    bool ok() const { return error_ == DecodeError::None; }

private:
    bool fail(DecodeError e) {
        if (error_ == DecodeError::None) error_ = e;
        return false;
    }
    bool take(std::size_t n, const std::uint8_t*& p);

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
    DecodeError error_ = DecodeError::None;
};

// Builds a whole frame: header followed by the payload written by `encode`. Returns an empty
// vector when a field is over its limit or the payload is over the largest cap a receiver has
// for this type: kMaxImportPayload for AdminImport (a full batch is larger than a reply),
// kMaxReplyPayload for everything else.
template <typename Message>
std::vector<std::uint8_t> encode_frame(const Message& message) {
    constexpr std::uint32_t kCap =
        Message::kType == MessageType::AdminImport ? kMaxImportPayload : kMaxReplyPayload;
    Writer w;
    w.bytes().resize(kHeaderSize);
    message.encode(w);
    auto& b = w.bytes();
    if (!w.ok() || b.size() - kHeaderSize > kCap) return {};
    const auto length = static_cast<std::uint32_t>(b.size() - kHeaderSize);
    const auto type = static_cast<std::uint16_t>(Message::kType);
    b[0] = static_cast<std::uint8_t>(length >> 24);
    b[1] = static_cast<std::uint8_t>(length >> 16);
    b[2] = static_cast<std::uint8_t>(length >> 8);
    b[3] = static_cast<std::uint8_t>(length);
    b[4] = static_cast<std::uint8_t>(kProtocolVersion >> 8);
    b[5] = static_cast<std::uint8_t>(kProtocolVersion & 0xff);
    b[6] = static_cast<std::uint8_t>(type >> 8);
    b[7] = static_cast<std::uint8_t>(type & 0xff);
    return std::move(b);
}

// Decodes a payload into `out` and requires that nothing is left over.
template <typename Message>
DecodeError decode_payload(std::span<const std::uint8_t> payload, Message& out) {
    Reader r(payload);
    if (!out.decode(r) || !r.finish()) return r.error() == DecodeError::None ? DecodeError::BadValue : r.error();
    return DecodeError::None;
}

}  // namespace kotp::wire
