#include "combined_answer.hpp"

#include "kotp/wipe.hpp"

namespace kotp::pam {

std::size_t combined_code_length(std::uint8_t code_digits) noexcept {
    return code_digits == 8 ? 8 : 6;
}

CombinedAnswer::~CombinedAnswer() {
    wipe(password);
    wipe(code);
}

bool split_combined_answer(std::string_view typed, std::size_t code_length, CombinedAnswer& out) {
    wipe(out.password);
    wipe(out.code);
    if (code_length == 0 || typed.size() < code_length) return false;
    const std::size_t cut = typed.size() - code_length;
    for (const char c : typed.substr(cut))
        if (c < '0' || c > '9') return false;
    out.password.assign(typed.data(), cut);
    out.code.assign(typed.data() + cut, code_length);
    return true;
}

}  // namespace kotp::pam
