// The libqrencode call shared by the terminal and PNG renderers. Internal to kotp_qr.
#pragma once

#include <qrencode.h>

#include <memory>
#include <string_view>

namespace kotp::qr {

// Wipes the modules (they encode a secret) before freeing the symbol.
struct QrCodeDeleter {
    void operator()(QRcode* code) const noexcept;
};
using QrCodePtr = std::unique_ptr<QRcode, QrCodeDeleter>;

// Encodes `text` with the smallest version that fits, mixing numeric, alphanumeric and 8-bit
// segments the way `qrencode` does. nullptr when the text is empty, holds a NUL byte, or does not
// fit in a QR code.
QrCodePtr encode_qr(std::string_view text, QRecLevel level);

// True for a dark module; coordinates outside the symbol are the light quiet zone.
inline bool is_dark(const QRcode& code, int x, int y) {
    if (x < 0 || y < 0 || x >= code.width || y >= code.width) return false;
    return (code.data[static_cast<std::size_t>(y) * static_cast<std::size_t>(code.width) +
                      static_cast<std::size_t>(x)] &
            1U) != 0;
}

}  // namespace kotp::qr
