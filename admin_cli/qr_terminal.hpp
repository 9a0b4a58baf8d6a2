// A QR code drawn with UTF-8 half blocks, for showing a provisioning URI in a terminal (the CLI
// and, through PAM, the login prompt). No CLI code here: otpd links it too.
#pragma once

#include <string>
#include <string_view>

namespace kotp {

// Two QR rows per text line (upper and lower half blocks), a 2-module quiet zone on every side,
// light modules drawn as blocks so that it scans on a dark terminal, as `qrencode -t UTF8` does.
// Every line ends with '\n'. Returns "" if the text cannot be encoded.
std::string render_qr_terminal(std::string_view text);

}  // namespace kotp
