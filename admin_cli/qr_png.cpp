#include "qr_png.hpp"

#include <fcntl.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kotp/wipe.hpp"
#include "qr_encode.hpp"

namespace kotp {
namespace {

constexpr int kQuietZone = 4;
constexpr int kPixelsPerModule = 8;
constexpr std::uint8_t kBlack = 0;
constexpr std::uint8_t kWhite = 255;

// One byte per pixel, 8-bit grey; zlib squeezes the long runs to a few kilobytes.
std::vector<std::uint8_t> rasterise(const QRcode& code) {
    const int modules = code.width + 2 * kQuietZone;
    const auto side = static_cast<std::size_t>(modules * kPixelsPerModule);
    std::vector<std::uint8_t> pixels(side * side, kWhite);
    for (std::size_t py = 0; py < side; ++py) {
        const int y = static_cast<int>(py) / kPixelsPerModule - kQuietZone;
        for (std::size_t px = 0; px < side; ++px) {
            const int x = static_cast<int>(px) / kPixelsPerModule - kQuietZone;
            if (qr::is_dark(code, x, y)) pixels[py * side + px] = kBlack;
        }
    }
    return pixels;
}

std::string describe_open_error(const std::string& path, int err) {
    if (err == ELOOP) return "refusing to write " + path + ": it is a symbolic link";
    if (err == ENXIO) return "refusing to write " + path + ": it is not a regular file";
    return "cannot create " + path + ": " + std::strerror(err);
}

// Opens the file for the secret-bearing image: no symlink, only a regular file, mode 0600.
// O_NONBLOCK keeps a FIFO without a reader from blocking us (it fails with ENXIO instead).
int open_private_file(const std::string& path, std::string& error) {
    const int fd = ::open(path.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0) {
        error = describe_open_error(path, errno);
        return -1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "refusing to write " + path + ": it is not a regular file";
        ::close(fd);
        return -1;
    }
    // An existing file keeps its mode through O_TRUNC; it must not stay readable by others.
    if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) {
        error = "cannot make " + path + " private: " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

bool write_qr_png(const std::string& path, std::string_view text, std::string& error) {
    error.clear();
    const qr::QrCodePtr code = qr::encode_qr(text, QR_ECLEVEL_M);
    if (code == nullptr) {
        error = "the text cannot be encoded as a QR code";
        return false;
    }
    const int fd = open_private_file(path, error);
    if (fd < 0) return false;
    FILE* file = ::fdopen(fd, "wb");
    if (file == nullptr) {
        error = "cannot write " + path + ": " + std::strerror(errno);
        ::close(fd);
        return false;
    }

    std::vector<std::uint8_t> pixels = rasterise(*code);
    const auto side = static_cast<png_uint_32>(
        static_cast<unsigned>((code->width + 2 * kQuietZone) * kPixelsPerModule));
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = side;
    image.height = side;
    image.format = PNG_FORMAT_GRAY;
    const bool written = png_image_write_to_stdio(&image, file, 0, pixels.data(), 0, nullptr) != 0;
    if (!written) error = "cannot write " + path + ": " + image.message;
    png_image_free(&image);
    wipe(pixels);

    if (std::fclose(file) != 0 && written) {
        error = "cannot write " + path + ": " + std::strerror(errno);
        return false;
    }
    return written;
}

}  // namespace kotp
