#include "kotp/user_name.hpp"

#include <algorithm>

#include "kotp/wire.hpp"

namespace kotp {

bool valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > wire::kMaxUserName || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-' || c == '@' || c == '$';
    });
}

}  // namespace kotp
