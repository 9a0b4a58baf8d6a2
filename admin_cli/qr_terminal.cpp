#include "qr_terminal.hpp"

#include "qr_encode.hpp"

namespace kotp {
namespace {

constexpr int kQuietZone = 2;

// Each character shows two modules, one above the other; a lit half is a light module.
constexpr const char* kBothLight = "\u2588";    // full block
constexpr const char* kTopLight = "\u2580";     // upper half block
constexpr const char* kBottomLight = "\u2584";  // lower half block
constexpr const char* kBothDark = " ";

}  // namespace

std::string render_qr_terminal(std::string_view text) {
    // Level L keeps a typical otpauth:// URI at 45 columns by 23 lines, inside an 80x24 terminal.
    const qr::QrCodePtr code = qr::encode_qr(text, QR_ECLEVEL_L);
    if (code == nullptr) return "";

    const int first = -kQuietZone;
    const int end = code->width + kQuietZone;  // rows and columns in [first, end)
    // Reserved once, so that no reallocation leaves a copy of the image in freed memory.
    const auto side = static_cast<std::size_t>(end - first);
    std::string out;
    out.reserve((side + 1) / 2 * (side * 3 + 1));
    for (int y = first; y < end; y += 2) {
        // When the row count is odd, the missing row below the last one counts as light.
        for (int x = first; x < end; ++x) {
            const bool top_light = !qr::is_dark(*code, x, y);
            const bool bottom_light = !qr::is_dark(*code, x, y + 1);
            if (top_light && bottom_light) {
                out += kBothLight;
            } else if (top_light) {
                out += kTopLight;
            } else if (bottom_light) {
                out += kBottomLight;
            } else {
                out += kBothDark;
            }
        }
        out += '\n';
    }
    return out;
}

}  // namespace kotp
