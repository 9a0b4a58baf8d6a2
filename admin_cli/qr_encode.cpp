#include "qr_encode.hpp"

#include <string>

#include "kotp/wipe.hpp"

namespace kotp::qr {

void QrCodeDeleter::operator()(QRcode* code) const noexcept {
    if (code == nullptr) return;
    if (code->data != nullptr && code->width > 0) {
        const auto width = static_cast<std::size_t>(code->width);
        wipe(code->data, width * width);
    }
    QRcode_free(code);
}

QrCodePtr encode_qr(std::string_view text, QRecLevel level) {
    if (text.empty() || text.find('\0') != std::string_view::npos) return nullptr;
    // libqrencode wants a NUL-terminated string; the copy holds the secret, so wipe it.
    std::string copy(text);
    QrCodePtr code(QRcode_encodeString(copy.c_str(), 0, level, QR_MODE_8, 1));
    wipe(copy);
    if (code == nullptr || code->width <= 0 || code->data == nullptr) return nullptr;
    return code;
}

}  // namespace kotp::qr
