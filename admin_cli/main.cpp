// kotp-admin: the command line only. Each command's work is in commands.cpp.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "cli_parse.hpp"
#include "commands.hpp"
#include "kotp/date_text.hpp"
#include "doctor.hpp"
#include "kotp/client.hpp"
#include "kotp/wire.hpp"
#include "output.hpp"

namespace {

using namespace kotp::admin;

constexpr const char* kFooter = R"(Environment:
  KOTP_SOCKET  otpd's socket when --socket is not given (default /run/otpd/otpd.sock)

Exit status:
  0  success
  1  otpd refused the request (a status not listed below), a protocol error,
     or the QR PNG could not be written (the token is enrolled all the same)
  2  usage error: unknown command, bad option or value
  3  otpd unreachable: socket missing or not owned by root or _otpd,
     connection refused, timeout, connection closed
  4  permission denied (KS1008): run as root or as a member of the kotp-admin group
  5  unknown user (KS1009))";

bool has_control_character(const std::string& text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7F;
    });
}

// A text field of a request: at most max_length bytes, no control characters.
CLI::Validator text_field(std::size_t max_length, bool may_be_empty, const std::string& name) {
    return CLI::Validator(
        [max_length, may_be_empty](std::string& value) -> std::string {
            if (value.empty() && !may_be_empty) return "must not be empty";
            if (value.size() > max_length)
                return "is longer than " + std::to_string(max_length) + " bytes";
            if (has_control_character(value)) return "contains a control character";
            return "";
        },
        "", name);
}

// --qr-png: checked before otpd enrols anything, so that a typo costs no token.
CLI::Validator new_private_file() {
    return CLI::Validator(
        [](std::string& path) -> std::string {
            namespace fs = std::filesystem;
            std::error_code ec;
            const fs::file_status status = fs::symlink_status(path, ec);
            if (fs::is_symlink(status)) return path + " is a symbolic link; refusing to follow it";
            if (fs::is_directory(status)) return path + " is a directory";
            fs::path parent = fs::path(path).parent_path();
            if (parent.empty()) parent = ".";
            if (!fs::is_directory(parent, ec))
                return "directory " + parent.string() + " does not exist";
            return "";
        },
        "", "new private file");
}

// Maps an option's name back to its enum through the names output.hpp prints.
template <typename Enum>
Enum from_name(const std::string& name, std::initializer_list<Enum> values) {
    for (const Enum value : values)
        if (name == to_string(value)) return value;
    return *values.begin();  // unreachable: CLI::IsMember accepted only these names
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Manage kotp one-time-password users through otpd.", "kotp-admin"};
    app.footer(kFooter);  // before the subcommands, which inherit it
    app.fallthrough();    // global options are accepted after the command too
    app.require_subcommand(1);
    app.set_version_flag("--version", KOTP_VERSION);

    Context ctx;
    ctx.socket_path = kotp::default_socket_path();
    double timeout_seconds = 10.0;
    app.add_option("--socket", ctx.socket_path, "otpd's Unix socket")
        ->type_name("PATH")
        ->capture_default_str();
    app.add_flag("--json", ctx.json, "Print one JSON document on stdout");
    app.add_option("--timeout", timeout_seconds, "Seconds to wait for otpd at each step")
        ->check(timeout_range())
        ->type_name("SECONDS")
        ->capture_default_str();

    const CLI::Validator user_name = text_field(kotp::wire::kMaxUserName, false, "USER");
    std::function<int()> run;

    EnrollOptions enroll_options;
    std::string type_name = "totp";
    std::string algorithm_name = "sha1";
    auto* enroll =
        app.add_subcommand("enroll", "Enrol a token face to face: QR code, key string, URI");
    enroll->add_option("USER", enroll_options.user, "Login name")->required()->check(user_name);
    enroll->add_option("--type", type_name, "Token type")
        ->transform(CLI::IsMember({"totp", "hotp"}, CLI::ignore_case))
        ->capture_default_str();
    enroll->add_option("--algorithm", algorithm_name, "HMAC algorithm")
        ->transform(CLI::IsMember({"sha1", "sha256", "sha512"}, CLI::ignore_case))
        ->capture_default_str();
    enroll->add_option("--digits", enroll_options.digits, "Code length")
        ->check(CLI::IsMember({6, 8}))
        ->capture_default_str();
    auto* period = enroll->add_option("--period", enroll_options.period, "TOTP time step, seconds")
                       ->check(CLI::IsMember({30, 60}))
                       ->capture_default_str();
    enroll->add_option("--label", enroll_options.label, "Token label, e.g. phone (default: otpd's)")
        ->check(text_field(kotp::wire::kMaxLabel, true, "LABEL"));
    enroll
        ->add_option("--qr-png", enroll_options.qr_png,
                     "Also write the QR code to FILE (mode 0600)")
        ->check(new_private_file())
        ->type_name("FILE");
    enroll->callback([&] {
        enroll_options.type =
            from_name(type_name, {kotp::wire::TokenType::Totp, kotp::wire::TokenType::Hotp});
        enroll_options.algorithm =
            from_name(algorithm_name, {kotp::wire::Algorithm::Sha1, kotp::wire::Algorithm::Sha256,
                                       kotp::wire::Algorithm::Sha512});
        if (enroll_options.type == kotp::wire::TokenType::Hotp && period->count() > 0)
            throw CLI::ValidationError("--period",
                                       "applies to TOTP tokens only, not to --type hotp");
        run = [&] { return run_enroll(ctx, enroll_options); };
    });

    auto* list = app.add_subcommand("list", "List users: state, failures, tokens, last login");
    list->callback([&] { run = [&] { return run_list(ctx); }; });

    // The commands that name one user; only one command runs, so they share `user`.
    std::string user;
    auto add_user_command = [&](const char* name, const char* description, auto action) {
        auto* command = app.add_subcommand(name, description);
        command->add_option("USER", user, "Login name")->required()->check(user_name);
        command->callback([&run, &ctx, &user, action] {
            run = [&ctx, &user, action] { return action(ctx, user); };
        });
        return command;
    };
    add_user_command("show", "Show one user and their tokens", run_show);
    add_user_command("unlock", "Lift a suspension and reset the failure count", run_unlock);
    std::string suspend_reason;
    add_user_command("suspend", "Refuse every login of a user until unlocked",
                     [&suspend_reason](const Context& c, const std::string& u) {
                         return run_suspend(c, u, suspend_reason);
                     })
        ->add_option("--reason", suspend_reason, "Why, shown by 'show'")
        ->check(text_field(kotp::wire::kMaxReason, true, "TEXT"));
    add_user_command("remove", "Delete a user and all their tokens", run_remove);

    // issue and reset: a validity like 72h, checked here so a typo costs no code.
    std::uint32_t valid_seconds = 72 * 3600;
    const CLI::Validator validity(
        [&valid_seconds](std::string& value) -> std::string {
            const auto parsed = parse_validity(value);
            if (!parsed)
                return "must be seconds, or a number with s, m, h or d (30s, 5m, 72h, 2d), "
                       "from 1s to 366d, not " +
                       value;
            valid_seconds = *parsed;
            return "";
        },
        "", "validity");
    add_user_command("issue", "Issue a 6-digit activation code (voids the previous one)",
                     [&valid_seconds](const Context& c, const std::string& u) {
                         return run_issue(c, u, valid_seconds);
                     })
        ->add_option("--valid",
                     "How long the code works: seconds, or 30s, 5m, 72h, 2d (default 72h, "
                     "at most 366d)")
        ->check(validity)
        ->type_name("DURATION");
    add_user_command("reset",
                     "Device change: revoke tokens and recovery codes, issue an activation code",
                     [&valid_seconds](const Context& c, const std::string& u) {
                         return run_reset(c, u, valid_seconds);
                     })
        ->add_option("--valid", "How long the new activation code works (as for issue)")
        ->check(validity)
        ->type_name("DURATION");
    add_user_command("recovery", "Make a new set of 10 recovery codes (voids the old set)",
                     run_recovery);
    std::string code1;
    std::string code2;
    auto* resync = add_user_command(
        "resync", "Re-align a drifted TOTP clock or HOTP counter from two consecutive codes",
        [&code1, &code2](const Context& c, const std::string& u) {
            return run_resync(c, u, code1, code2);
        });
    const CLI::Validator code_field = text_field(kotp::wire::kMaxCodeText, false, "CODE");
    resync->add_option("CODE1", code1, "A code from the token")->required()->check(code_field);
    resync->add_option("CODE2", code2, "The code right after it")->required()->check(code_field);

    // exempt and unexempt: per-user exemptions, e.g. service accounts or a broken phone.
    std::int64_t exempt_until = 0;
    std::string exempt_reason;
    auto* exempt = add_user_command(
        "exempt", "Ask no code of a user until a date (the user need not be enrolled)",
        [&exempt_until, &exempt_reason](const Context& c, const std::string& u) {
            return run_exempt(c, u, exempt_until, exempt_reason);
        });
    exempt
        ->add_option("--until", "End of the exemption: 2026-12-31 (to the end of that day), "
                                "2026-12-31 18:00 (local time) or @UNIXTIME")
        ->required()
        ->check(CLI::Validator(
            [&exempt_until](std::string& value) -> std::string {
                const auto t = kotp::parse_until(value);
                if (!t) return "must be a date like 2026-12-31 or 2026-12-31 18:00, not " + value;
                exempt_until = *t;
                return "";
            },
            "", "DATE"))
        ->type_name("DATE");
    exempt->add_option("--reason", exempt_reason, "Why, shown by 'show' and in the log")
        ->check(text_field(kotp::wire::kMaxReason, true, "TEXT"));
    add_user_command("unexempt", "End a user's exemption now", run_unexempt);

    // import: migration from other tools; every file is checked before anything is sent.
    ImportOptions import_options;
    std::string import_format = "csv";
    auto* import = app.add_subcommand(
        "import", "Import users with their secrets from CSV, google-authenticator or pam_oath files");
    import->add_option("--format", import_format,
                       "csv (user,secret[,type,algorithm,digits,period]), google-authenticator "
                       "(~/.google_authenticator files) or oath (a pam_oath users.oath file)")
        ->check(CLI::IsMember({"csv", "google-authenticator", "oath"}))
        ->capture_default_str();
    import->add_option("FILE", import_options.files, "Files to import")->required()->check(CLI::ExistingFile);
    import->add_flag("--dry-run", import_options.dry_run, "Read and check the files, import nothing");
    import->footer(
        "Imported tokens are active at once. A user who already has a token is refused (reset or remove "
        "them first). google-authenticator scratch codes become recovery codes. One bad line imports "
        "nothing: the errors name FILE:LINE.");
    import->callback([&] {
        run = [&] {
            import_options.format = *parse_import_format(import_format);
            return run_import(ctx, import_options);
        };
    });

    // log and stats: the audit table of otpd.
    LogOptions log_options;
    auto* log = app.add_subcommand("log", "Show the audit log: logins and admin actions, oldest first");
    log->add_option("USER", log_options.user, "Only this user's entries")->check(user_name);
    log->add_option("--since", "Only entries of the last DURATION: 30m, 24h, 7d (at most 366d)")
        ->check(CLI::Validator(
            [&log_options](std::string& value) -> std::string {
                const auto parsed = parse_validity(value);
                if (!parsed) return "must be a duration like 30m, 24h or 7d (at most 366d), not " + value;
                log_options.since_seconds = *parsed;
                return "";
            },
            "", "DURATION"))
        ->type_name("DURATION");
    log->add_option("--limit", log_options.limit, "Show the newest N entries")
        ->check(CLI::Range(1u, 1'000'000u))
        ->capture_default_str();
    log->footer("Each entry's RESULT is a message ID (KS0000 accepted, KS1003 wrong code ...) or an admin "
                "action (enroll, unlock ...; DETAIL names the admin's uid).");
    log->callback([&] { run = [&] { return run_log(ctx, log_options); }; });

    std::uint16_t stats_hours = 24;
    bool prometheus = false;
    auto* stats = app.add_subcommand("stats", "Users by state and logins per hour, also for Prometheus");
    stats->add_option("--hours", stats_hours, "Hours of login counts, the current one included")
        ->check(CLI::Range(1, static_cast<int>(kotp::wire::kMaxStatsHours)))
        ->capture_default_str();
    stats->add_flag("--prometheus", prometheus,
                    "Print the Prometheus text format (for node_exporter's textfile collector)");
    stats->callback([&] {
        if (prometheus && ctx.json) throw CLI::ValidationError("--prometheus", "cannot be combined with --json");
        run = [&] { return run_stats(ctx, stats_hours, prometheus); };
    });

    bool keep_old_keys = false;
    auto* rekey = app.add_subcommand(
        "rekey", "Re-seal every token secret under a new master key while logins go on");
    rekey->add_flag("--keep-old-keys", keep_old_keys,
                    "Keep the older key lines in master.key (by default they are removed once no secret uses them)");
    rekey->footer("otpd writes the new key to master.key before it seals anything with it; a crash or an "
                  "interruption leaves every secret readable, and running rekey again finishes the job. Back up "
                  "master.key afterwards: older database backups need the older key file.");
    rekey->callback([&] { run = [&] { return run_rekey(ctx, keep_old_keys); }; });

    // migrate-storage: reads otpd's SQLite file and writes PostgreSQL itself; otpd is not asked.
    std::string migrate_from = "/var/lib/otpd/kotp.db";
    std::string migrate_to;
    std::string migrate_password_file;
    auto* migrate = app.add_subcommand(
        "migrate-storage", "Copy otpd's SQLite state into an empty PostgreSQL database, for cluster mode");
    migrate
        ->add_option("--to", migrate_to,
                     "The database: postgresql://USER@HOST:PORT/DB or a libpq key=value string, without a password")
        ->required()
        ->type_name("CONNINFO");
    migrate
        ->add_option("--password-file", migrate_password_file,
                     "The database password, on the first line of FILE (not readable by others); "
                     "without it libpq's ~/.pgpass or peer authentication")
        ->type_name("FILE");
    migrate->add_option("--from", migrate_from, "otpd's SQLite file, opened read-only")
        ->type_name("DBFILE")
        ->capture_default_str();
    migrate->footer(
        "Stop otpd on this node first: the copy is a snapshot of the file when it starts, and logins after that "
        "(failure counts, used codes, audit rows) would not be in it. The database must hold no users, tokens, audit "
        "rows or exemptions; the copy is one transaction, all or nothing, and the SQLite file is left as it was. "
        "Token secrets are copied sealed: every node needs this node's master.key.");
    migrate->callback([&] {
        run = [&] { return run_migrate_storage(ctx, migrate_from, migrate_to, migrate_password_file); };
    });

    // doctor: reads files and checks the host; it does not talk to otpd beyond a connect.
    DoctorOptions doctor_options;
    auto* doctor = app.add_subcommand(
        "doctor",
        "Check sshd, PAM, otpd's socket and the clock for mistakes that skip or break "
        "the second factor");
    doctor->footer(doctor_help_footer());
    doctor->add_option("--sshd-config", doctor_options.sshd_config, "sshd's main configuration")
        ->type_name("FILE")
        ->capture_default_str();
    doctor->add_option("--pam-dir", doctor_options.pam_dir, "The PAM service files")
        ->type_name("DIR")
        ->capture_default_str();
    doctor
        ->add_option("--services", doctor_options.services,
                     "PAM services to check, comma-separated")
        ->delimiter(',')
        ->check(CLI::Validator([](std::string& name) { return doctor_service_name_problem(name); },
                               "", "SERVICE"))
        ->type_name("LIST")
        ->capture_default_str();
    doctor
        ->add_option("--skip", doctor_options.skip,
                     "A check not to run (repeatable): sshd, pam, socket, clock")
        ->delimiter(',')
        ->check(CLI::IsMember(kDoctorChecks))
        ->type_name("CHECK");
    doctor->callback([&] { run = [&] { return run_doctor(ctx, doctor_options); }; });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return report_parse_error(app, error, "kotp-admin");
    }
    ctx.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(timeout_seconds));
    return run();
}
