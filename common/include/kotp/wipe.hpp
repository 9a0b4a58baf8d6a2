// Erases secrets from memory in a way the compiler may not optimise away. No OpenSSL here, so
// that pam_kotp.so can use it without linking libcrypto.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kotp {

void wipe(void* data, std::size_t size) noexcept;

inline void wipe(std::string& s) noexcept {
    wipe(s.data(), s.capacity());
    s.clear();
}

template <typename T>
void wipe(std::vector<T>& v) noexcept {
    wipe(v.data(), v.capacity() * sizeof(T));
    v.clear();
}

}  // namespace kotp
