// The `combined` module argument: the user types the password and the code in one answer,
// "<password><code>" with nothing between them. The module sends the code to otpd and hands the
// password to the next module in the stack as PAM_AUTHTOK (pam_unix.so use_first_pass).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kotp::pam {

// The prompt of the one question in combined mode.
inline constexpr std::string_view kCombinedPrompt = "Password and verification code: ";
// The prompt for the password alone, when otpd asks no code first (enrolment, exemption).
inline constexpr std::string_view kPasswordPrompt = "Password: ";

// How many digits to cut off: otpd's AuthStep.code_digits (6 or 8), or 6 when it sent 0 (the
// user's tokens show different lengths).
std::size_t combined_code_length(std::uint8_t code_digits) noexcept;

// The two parts of a combined answer. Both are wiped when it goes out of scope.
struct CombinedAnswer {
    std::string password;
    std::string code;

    CombinedAnswer() = default;
    CombinedAnswer(const CombinedAnswer&) = delete;
    CombinedAnswer& operator=(const CombinedAnswer&) = delete;
    ~CombinedAnswer();
};

// Cuts the trailing code of `code_length` ASCII digits off `typed`; the password is the rest,
// exactly as typed (it may be empty, and may itself end in digits). False, with `out` left
// empty, when `typed` does not end in that many digits.
bool split_combined_answer(std::string_view typed, std::size_t code_length, CombinedAnswer& out);

}  // namespace kotp::pam
