#include "kotp/codec.hpp"

#include <cstring>

namespace kotp::wire {

const char* to_string(DecodeError error) noexcept {
    switch (error) {
        case DecodeError::None: return "no error";
        case DecodeError::Truncated: return "truncated field";
        case DecodeError::TooLong: return "field or frame over its limit";
        case DecodeError::NulInString: return "NUL byte in a string";
        case DecodeError::TrailingBytes: return "trailing bytes after the last field";
        case DecodeError::BadVersion: return "unsupported protocol version";
        case DecodeError::BadValue: return "value out of range";
        case DecodeError::UnexpectedType: return "unexpected message type";
    }
    return "unknown decode error";
}

const char* to_string(MessageType type) noexcept {
    switch (type) {
        case MessageType::AuthBegin: return "AuthBegin";
        case MessageType::AuthAnswer: return "AuthAnswer";
        case MessageType::AdminEnroll: return "AdminEnroll";
        case MessageType::AdminList: return "AdminList";
        case MessageType::AdminShow: return "AdminShow";
        case MessageType::AdminUnlock: return "AdminUnlock";
        case MessageType::AdminSuspend: return "AdminSuspend";
        case MessageType::AdminRemove: return "AdminRemove";
        case MessageType::AdminIssue: return "AdminIssue";
        case MessageType::AdminReset: return "AdminReset";
        case MessageType::AdminRecovery: return "AdminRecovery";
        case MessageType::AdminResync: return "AdminResync";
        case MessageType::AdminExempt: return "AdminExempt";
        case MessageType::AdminUnexempt: return "AdminUnexempt";
        case MessageType::AdminImport: return "AdminImport";
        case MessageType::AdminLog: return "AdminLog";
        case MessageType::AdminStats: return "AdminStats";
        case MessageType::AdminRekey: return "AdminRekey";
        case MessageType::UserStatus: return "UserStatus";
        case MessageType::AuthStep: return "AuthStep";
        case MessageType::Error: return "Error";
        case MessageType::Enrolled: return "Enrolled";
        case MessageType::UserList: return "UserList";
        case MessageType::UserInfo: return "UserInfo";
        case MessageType::Done: return "Done";
        case MessageType::ActivationIssued: return "ActivationIssued";
        case MessageType::RecoveryCodes: return "RecoveryCodes";
        case MessageType::Imported: return "Imported";
        case MessageType::AuditPage: return "AuditPage";
        case MessageType::Stats: return "Stats";
        case MessageType::RekeyStatus: return "RekeyStatus";
    }
    return "unknown";
}

DecodeError parse_header(std::span<const std::uint8_t, kHeaderSize> b, std::uint32_t max_payload,
                         FrameHeader& out) noexcept {
    out.payload_length = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                         (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    out.version = static_cast<std::uint16_t>((b[4] << 8) | b[5]);
    out.type = static_cast<MessageType>(static_cast<std::uint16_t>((b[6] << 8) | b[7]));
    if (out.version != kProtocolVersion) return DecodeError::BadVersion;
    if (out.payload_length > max_payload) return DecodeError::TooLong;
    return DecodeError::None;
}

void Writer::put_u16(std::uint16_t v) {
    buf_.push_back(static_cast<std::uint8_t>(v >> 8));
    buf_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::put_u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> shift));
}

void Writer::put_u64(std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> shift));
}

void Writer::put_string(std::string_view s, std::size_t max_length) {
    if (s.size() > max_length || s.size() > 0xffff || s.find('\0') != std::string_view::npos) {
        ok_ = false;
        return;
    }
    put_u16(static_cast<std::uint16_t>(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
}

bool Reader::take(std::size_t n, const std::uint8_t*& p) {
    if (!ok()) return false;
    if (data_.size() - pos_ < n) return fail(DecodeError::Truncated);
    p = data_.data() + pos_;
    pos_ += n;
    return true;
}

bool Reader::get_u8(std::uint8_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(1, p)) return false;
    v = p[0];
    return true;
}

bool Reader::get_u16(std::uint16_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(2, p)) return false;
    v = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    return true;
}

bool Reader::get_u32(std::uint32_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(4, p)) return false;
    v = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
        std::uint32_t{p[3]};
    return true;
}

bool Reader::get_u64(std::uint64_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(8, p)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return true;
}

bool Reader::get_i64(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!get_u64(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
}

bool Reader::get_string(std::string& out, std::size_t max_length) {
    std::uint16_t length = 0;
    if (!get_u16(length)) return false;
    if (length > max_length) return fail(DecodeError::TooLong);
    const std::uint8_t* p = nullptr;
    if (!take(length, p)) return false;
    if (std::memchr(p, 0, length) != nullptr) return fail(DecodeError::NulInString);
    out.assign(reinterpret_cast<const char*>(p), length);
    return true;
}

bool Reader::finish() {
    if (!ok()) return false;
    if (pos_ != data_.size()) return fail(DecodeError::TrailingBytes);
    return true;
}

}  // namespace kotp::wire
