// The wire decoder: the input is one frame (header and payload). The header is parsed as otpd
// and the clients parse it, the payload is decoded as the message its type names, and a message
// that decodes must encode to exactly the bytes it came from: the encoding is deterministic and
// decode() accepts nothing encode() cannot write, so any difference is a field one side drops,
// adds or checks differently.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/messages.hpp"
#include "kotp/wire.hpp"

namespace {

using namespace kotp::wire;

[[noreturn]] void violated(const char* what, MessageType type) {
    std::fprintf(stderr, "fuzz_wire: %s (%s)\n", what, to_string(type));
    std::abort();
}

template <typename Message>
void check(std::span<const std::uint8_t> frame, bool header_ok) {
    const auto payload = frame.subspan(kHeaderSize);
    Message message;
    const DecodeError error = decode_payload(payload, message);
    if (error == DecodeError::None) {
        if (!header_ok) return;  // the payload decodes, but the header says another length
        const std::vector<std::uint8_t> again = encode_frame(message);
        if (again.empty()) violated("a decoded message does not encode", Message::kType);
        if (again.size() != frame.size() || std::memcmp(again.data(), frame.data(), frame.size()) != 0)
            violated("a decoded message encodes to other bytes", Message::kType);
        // And the bytes it encodes to decode again (the receiving end of the same message).
        Message twice;
        if (decode_payload(std::span<const std::uint8_t>(again).subspan(kHeaderSize), twice) != DecodeError::None)
            violated("a re-encoded message does not decode", Message::kType);
    } else if (error == DecodeError::UnexpectedType || error == DecodeError::BadVersion) {
        violated("decode_payload returned a header error", Message::kType);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < kHeaderSize) return 0;
    const std::span<const std::uint8_t> frame(data, size);
    FrameHeader header;
    // The largest cap any receiver uses (otpd for an administrator's AdminImport).
    const DecodeError header_error =
        parse_header(frame.first<kHeaderSize>(), kMaxImportPayload, header);
    // A valid header with a payload of exactly the announced length.
    const bool header_ok =
        header_error == DecodeError::None && header.payload_length == size - kHeaderSize;

    switch (header.type) {
        case MessageType::AuthBegin: check<AuthBegin>(frame, header_ok); break;
        case MessageType::AuthAnswer: check<AuthAnswer>(frame, header_ok); break;
        case MessageType::AdminEnroll: check<AdminEnroll>(frame, header_ok); break;
        case MessageType::AdminList: check<AdminList>(frame, header_ok); break;
        case MessageType::AdminShow: check<AdminShow>(frame, header_ok); break;
        case MessageType::AdminUnlock: check<AdminUnlock>(frame, header_ok); break;
        case MessageType::AdminSuspend: check<AdminSuspend>(frame, header_ok); break;
        case MessageType::AdminRemove: check<AdminRemove>(frame, header_ok); break;
        case MessageType::AdminIssue: check<AdminIssue>(frame, header_ok); break;
        case MessageType::AdminReset: check<AdminReset>(frame, header_ok); break;
        case MessageType::AdminRecovery: check<AdminRecovery>(frame, header_ok); break;
        case MessageType::AdminResync: check<AdminResync>(frame, header_ok); break;
        case MessageType::AdminExempt: check<AdminExempt>(frame, header_ok); break;
        case MessageType::AdminUnexempt: check<AdminUnexempt>(frame, header_ok); break;
        case MessageType::AdminImport: check<AdminImport>(frame, header_ok); break;
        case MessageType::AdminLog: check<AdminLog>(frame, header_ok); break;
        case MessageType::AdminStats: check<AdminStats>(frame, header_ok); break;
        case MessageType::UserStatus: check<UserStatus>(frame, header_ok); break;
        case MessageType::AuthStep: check<AuthStep>(frame, header_ok); break;
        case MessageType::Error: check<ErrorReply>(frame, header_ok); break;
        case MessageType::Enrolled: check<Enrolled>(frame, header_ok); break;
        case MessageType::UserList: check<UserList>(frame, header_ok); break;
        case MessageType::UserInfo: check<UserInfo>(frame, header_ok); break;
        case MessageType::Done: check<Done>(frame, header_ok); break;
        case MessageType::ActivationIssued: check<ActivationIssued>(frame, header_ok); break;
        case MessageType::RecoveryCodes: check<RecoveryCodes>(frame, header_ok); break;
        case MessageType::Imported: check<Imported>(frame, header_ok); break;
        case MessageType::AuditPage: check<AuditPage>(frame, header_ok); break;
        case MessageType::Stats: check<Stats>(frame, header_ok); break;
    }
    // The header alone, with the caps the receivers use: a frame over a cap is refused
    // before anything is allocated, whatever the type.
    for (const std::uint32_t cap : {kMaxRequestPayload, kMaxReplyPayload, kMaxImportPayload}) {
        FrameHeader h;
        const DecodeError e = parse_header(frame.first<kHeaderSize>(), cap, h);
        if (e == DecodeError::None && (h.payload_length > cap || h.version != kProtocolVersion))
            violated("parse_header accepted a frame over its cap or of another version", h.type);
    }
    return 0;
}
