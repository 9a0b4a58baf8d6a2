#include "kotp/wipe.hpp"

#include <cstring>

namespace kotp {

void wipe(void* data, std::size_t size) noexcept {
    if (data == nullptr || size == 0) return;
    explicit_bzero(data, size);
}

}  // namespace kotp
