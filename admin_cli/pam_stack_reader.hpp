// Reads a PAM service's auth stack the way libpam builds it: "type control module args" lines,
// '#' comments, backslash continuations, "-type" (module may be missing), simple and [bracket]
// controls, "@include", "include" and "substack" (recursively, with a depth limit and loop
// detection). The result is the flat list of modules libpam walks, each with its file and line.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kotp::admin {

// PAM return values, in libpam's order, as bracket controls name them ("success", "auth_err"...).
enum class PamResult : std::uint8_t {
    Success,
    OpenErr,
    SymbolErr,
    ServiceErr,
    SystemErr,
    BufErr,
    PermDenied,
    AuthErr,
    CredInsufficient,
    AuthinfoUnavail,
    UserUnknown,
    Maxtries,
    NewAuthtokReqd,
    AcctExpired,
    SessionErr,
    CredUnavail,
    CredExpired,
    CredErr,
    NoModuleData,
    ConvErr,
    AuthtokErr,
    AuthtokRecoverErr,
    AuthtokLockBusy,
    AuthtokDisableAging,
    TryAgain,
    Ignore,
    Abort,
    AuthtokExpired,
    ModuleUnknown,
    BadItem,
    ConvAgain,
    Incomplete,
};
inline constexpr std::size_t kPamResultCount = 32;

const char* to_string(PamResult result) noexcept;  // "success", "auth_err", ...

// What libpam does with a module's return value.
struct PamAction {
    enum Kind : std::uint8_t { Ignore, Ok, Done, Bad, Die, Reset, Jump };
    Kind kind = Bad;
    int jump = 0;  // for Jump: how many modules to skip
};

struct PamControl {
    std::array<PamAction, kPamResultCount> actions{};
    std::array<bool, kPamResultCount> named{};  // given explicitly in a [bracket]
};

// "required", "requisite", "sufficient", "optional" or "[value=action ...]"; nullopt (and
// `error`) when libpam would not understand it.
std::optional<PamControl> parse_pam_control(std::string_view text, std::string& error);

// One module on the flat auth stack.
struct PamModule {
    int level = 0;                // substack depth (0: the service's own stack)
    bool substack_entry = false;  // the "auth substack NAME" line itself: libpam skips it
    bool must_fail = false;       // libpam cannot use the line and returns PAM_PERM_DENIED
    bool may_be_missing = false;  // "-auth": libpam drops the line when the module is missing
    std::string module;           // as written: "pam_unix.so", "/lib/.../pam_kotp.so"
    std::string arguments;        // as written
    std::string control_text;     // "required", "[success=1 default=ignore]"
    PamControl control;
    std::string where;  // FILE:LINE

    std::string file_name() const;  // "pam_kotp.so" for "/lib/.../pam_kotp.so"
    bool is_kotp() const;           // pam_kotp.so, by its file name
};

// Something in the files that libpam would complain about, or a service file that is missing.
struct PamProblem {
    std::string where;
    std::string message;
    bool breaks_logins = false;  // the line becomes one that always fails
};

struct PamStack {
    std::string service;
    std::string file;  // PAM_DIR/SERVICE
    bool exists = false;
    std::string error;  // why the service file could not be read, when !exists
    std::vector<PamModule> auth;
    std::vector<PamProblem> problems;
};

// The auth stack of `service` from the files in `pam_dir`.
PamStack read_pam_auth_stack(const std::string& pam_dir, const std::string& service);

}  // namespace kotp::admin
