// Helpers shared by the codec tests: building headers and payloads by hand, round trips.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/messages.hpp"
#include "kotp/wire.hpp"

namespace kotp::wire::testing {

using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Helpers

inline std::span<const std::uint8_t> payload_of(const Bytes& frame) {
    return std::span<const std::uint8_t>(frame).subspan(kHeaderSize);
}

inline DecodeError header_of(const Bytes& frame, FrameHeader& header,
                      std::uint32_t max_payload = kMaxReplyPayload) {
    return parse_header(std::span<const std::uint8_t, kHeaderSize>(frame.data(), kHeaderSize),
                        max_payload, header);
}

inline Bytes header_bytes(std::uint32_t length, std::uint16_t version, std::uint16_t type) {
    Writer w;
    w.put_u32(length);
    w.put_u16(version);
    w.put_u16(type);
    return w.bytes();
}

// Encodes `in`, checks the header, decodes into `out` and checks that `out` encodes to the same
// frame (the encoding is deterministic, so equal frames mean equal fields).
template <typename Message>
void round_trip(const Message& in, Message& out) {
    const Bytes frame = encode_frame(in);
    ASSERT_GE(frame.size(), kHeaderSize);
    FrameHeader header;
    ASSERT_EQ(header_of(frame, header), DecodeError::None);
    EXPECT_EQ(header.version, kProtocolVersion);
    EXPECT_EQ(header.type, Message::kType);
    EXPECT_EQ(header.payload_length, frame.size() - kHeaderSize);
    ASSERT_EQ(decode_payload(payload_of(frame), out), DecodeError::None);
    EXPECT_EQ(encode_frame(out), frame);
}

template <typename Message>
DecodeError decode(const Bytes& payload) {
    Message m;
    return decode_payload(std::span<const std::uint8_t>(payload), m);
}

// Puts a string field without the Writer's checks, to build payloads a correct sender never makes.
inline void put_raw_string(Writer& w, const std::string& s) {
    w.put_u16(static_cast<std::uint16_t>(s.size()));
    w.bytes().insert(w.bytes().end(), s.begin(), s.end());
}


}  // namespace kotp::wire::testing
