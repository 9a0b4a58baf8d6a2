// A QR code written as a PNG file, for `kotp-admin enroll --qr-png FILE`. No CLI code here.
#pragma once

#include <string>
#include <string_view>

namespace kotp {

// Writes `text` as a black-on-white QR code, 8 pixels per module with a 4-module quiet zone.
// The file holds the secret: it is created 0600 and never through a symbolic link; an existing
// regular file is truncated and set to 0600. Returns false with a one-line reason in `error`.
bool write_qr_png(const std::string& path, std::string_view text, std::string& error);

}  // namespace kotp
