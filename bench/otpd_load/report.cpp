#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace kotp::bench {
namespace {

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

double rate(const LoadResult& load) {
    return load.measured_seconds > 0 ? static_cast<double>(load.stats.measured) / load.measured_seconds : 0;
}

// CPU microseconds per measured verification; 0 when none was measured.
double per_verification(double seconds, const LoadResult& load) {
    return load.stats.measured == 0 ? 0 : seconds * 1e6 / static_cast<double>(load.stats.measured);
}

// {user_seconds, sys_seconds, us_per_verification}, or null when not measured.
nlohmann::json cpu_json(const std::optional<CpuTimes>& cpu, const LoadResult& load) {
    if (!cpu) return nullptr;
    return {{"user_seconds", cpu->user},
            {"sys_seconds", cpu->sys},
            {"us_per_verification", per_verification(cpu->total(), load)}};
}

std::string mix_text(const Mix& m) {
    return std::to_string(m.right) + "," + std::to_string(m.wrong) + "," + std::to_string(m.replay);
}

}  // namespace

void print_report(std::ostream& out, const RunReport& r) {
    const auto& o = r.options;
    out << "kotp-load: " << o.users << " users (" << token_name(o.token) << "), " << o.clients << " clients on "
        << o.threads << (o.threads == 1 ? " thread" : " threads") << ", mix right/wrong/replay " << mix_text(o.mix)
        << ", seed " << r.seed << "\n";
    out << "  storage         " << storage_label(o);
    if (o.nodes > 1) out << ", " << o.nodes << " otpd sharing it (client c talks to node c % " << o.nodes << ")";
    out << "\n";
    out << "  otpd settings   host_failure_limit = 0 (every exchange comes from this one process: its wrong\n"
           "                  codes would otherwise get the source hosts throttled), grace_period = 0,\n"
        << "                  lockout_threshold = " << r.rules.lockout_threshold
        << ", hotp_look_ahead = " << r.rules.hotp_look_ahead << ", window = " << r.rules.window << "\n";
    if (!r.enrolled)
        out << "  enrolment       not done\n";
    else if (r.reused_state)
        out << "  enrolment       reused from an earlier run (its import took " << fixed(r.enrol_seconds, 2) << " s)\n";
    else
        out << "  enrolment       " << fixed(r.enrol_seconds, 2) << " s for kotp-admin import of " << o.users
            << " users (CSV written in " << fixed(r.csv_seconds, 2) << " s)\n";
    if (r.load) {
        const auto& l = *r.load;
        const auto& s = l.stats;
        out << "  measured        " << fixed(l.measured_seconds, 3) << " s after " << fixed(o.warmup_seconds, 1)
            << " s of warm-up: " << s.measured << " verifications, " << fixed(rate(l), 1) << " per second\n";
        out << "  sent            right " << s.measured_by_kind[0] << ", wrong " << s.measured_by_kind[1] << ", replay "
            << s.measured_by_kind[2] << "\n";
        out << "  replies         accepted " << s.accepted << ", KS1003 wrong " << s.refused_wrong << ", KS1004 replay "
            << s.refused_replay << ", other " << s.refused_other << "\n";
        out << "  mix kept by     wrong sent as right " << s.wrong_sent_right << " (user at 3 failures), replay sent as right "
            << s.replay_sent_right << " (nothing to replay yet)";
        if (o.token == TokenChoice::Totp)
            out << ", right sent as replay " << s.right_sent_replay << ", busy users passed " << s.users_skipped;
        out << "\n";
        out << "  latency         p50 " << fixed(us(s.latency.quantile(0.50)), 0) << " us, p99 "
            << fixed(us(s.latency.quantile(0.99)), 0) << " us, p99.9 " << fixed(us(s.latency.quantile(0.999)), 0)
            << " us, max " << fixed(us(s.latency.max()), 0) << " us, mean " << fixed(s.latency.mean() / 1000.0, 0)
            << " us (connect to final reply)\n";
        if (l.otpd_cpu)
            out << "  otpd CPU        " << fixed(l.otpd_cpu->user, 2) << " s user + " << fixed(l.otpd_cpu->sys, 2)
                << " s sys = " << fixed(per_verification(l.otpd_cpu->total(), l), 1) << " us per verification\n";
        else
            out << "  otpd CPU        not available\n";
        if (l.db_cpu)
            out << "  database CPU    " << fixed(l.db_cpu->user, 2) << " s user + " << fixed(l.db_cpu->sys, 2)
                << " s sys = " << fixed(per_verification(l.db_cpu->total(), l), 1)
                << " us per verification (the server and its child processes)\n";
        out << "  kotp-load CPU   " << fixed(l.own_cpu.user, 2) << " s user + " << fixed(l.own_cpu.sys, 2)
            << " s sys = " << fixed(per_verification(l.own_cpu.total(), l), 1) << " us per verification\n";
        if (r.memory_end) {
            out << "  otpd memory     " << (o.nodes > 1 ? "the largest node: " : "") << "VmHWM " << fixed(r.memory_end->peak_mib, 1) << " MiB"
                << (r.peak_reset ? " during the load" : " since otpd started") << ", VmRSS "
                << fixed(r.memory_end->rss_mib, 1) << " MiB at the end";
            if (r.memory_after_enrol)
                out << " (VmHWM " << fixed(r.memory_after_enrol->peak_mib, 1) << " MiB before the load)";
            out << "\n";
        }
        out << "  otpd stopped    " << (r.otpd_end.empty() ? "?" : r.otpd_end) << "\n";
        out << "  all phases      " << s.completed << " exchanges, " << s.mismatches << " mismatches, " << s.errors
            << " errors\n";
        for (const auto& e : s.mismatch_examples) out << "    mismatch: " << e << "\n";
        for (const auto& e : s.error_examples) out << "    error: " << e << "\n";
    }
    if (!r.state_note.empty()) out << "  state           " << r.state_note << "\n";
    if (r.failure.empty())
        out << "  result          PASS: every reply was the predicted one\n";
    else
        out << "  result          FAIL: " << r.failure << "\n";
}

bool write_json_report(const std::string& path, const RunReport& r, std::string& error) {
    using nlohmann::json;
    const auto& o = r.options;
    json j;
    j["tool"] = "kotp-load";
    j["ok"] = r.failure.empty();
    j["exit_code"] = r.exit_code;
    j["failure"] = r.failure;
    j["users"] = o.users;
    j["clients"] = o.clients;
    j["threads"] = o.threads;
    j["token"] = token_name(o.token);
    j["storage"] = storage_label(o);
    j["nodes"] = o.nodes;
    j["mix"] = {{"right", o.mix.right}, {"wrong", o.mix.wrong}, {"replay", o.mix.replay}};
    j["seed"] = r.seed;
    j["otpd_settings"] = {{"host_failure_limit", 0},
                          {"grace_period", 0},
                          {"lockout_threshold", r.rules.lockout_threshold},
                          {"hotp_look_ahead", r.rules.hotp_look_ahead},
                          {"window", r.rules.window}};
    j["enrolment"] = {{"done", r.enrolled},
                      {"reused", r.reused_state}, {"import_seconds", r.enrol_seconds}, {"csv_seconds", r.csv_seconds}};
    j["warmup_seconds"] = o.warmup_seconds;
    if (r.load) {
        const auto& l = *r.load;
        const auto& s = l.stats;
        j["seconds"] = l.measured_seconds;
        j["verifications"] = s.measured;
        j["verifications_per_second"] = rate(l);
        j["sent"] = {{"right", s.measured_by_kind[0]}, {"wrong", s.measured_by_kind[1]}, {"replay", s.measured_by_kind[2]}};
        j["replies"] = {{"accepted", s.accepted},
                        {"wrong_code", s.refused_wrong},
                        {"replay", s.refused_replay},
                        {"other", s.refused_other}};
        j["substituted"] = {{"wrong_sent_right", s.wrong_sent_right},
                            {"replay_sent_right", s.replay_sent_right},
                            {"right_sent_replay", s.right_sent_replay},
                            {"busy_users_passed", s.users_skipped}};
        j["latency_us"] = {{"p50", us(s.latency.quantile(0.50))},
                           {"p99", us(s.latency.quantile(0.99))},
                           {"p99_9", us(s.latency.quantile(0.999))},
                           {"max", us(s.latency.max())},
                           {"mean", s.latency.mean() / 1000.0}};
        j["otpd_cpu"] = cpu_json(l.otpd_cpu, l);
        j["db_server_cpu"] = cpu_json(l.db_cpu, l);
        j["loadgen_cpu"] = cpu_json(l.own_cpu, l);
        json memory;
        if (r.memory_end) {
            memory["vm_hwm_mib"] = r.memory_end->peak_mib;
            memory["vm_rss_mib"] = r.memory_end->rss_mib;
        }
        memory["peak_is_load_only"] = r.peak_reset;
        if (r.memory_after_enrol) memory["vm_hwm_before_load_mib"] = r.memory_after_enrol->peak_mib;
        j["otpd_memory"] = memory;
        j["otpd_stopped"] = r.otpd_end;
        j["completed_all_phases"] = s.completed;
        j["mismatches"] = s.mismatches;
        j["errors"] = s.errors;
        j["mismatch_examples"] = s.mismatch_examples;
        j["error_examples"] = s.error_examples;
        j["aborted"] = l.abort_reason;
    }
    j["state"] = r.state_note;
    std::ofstream out(path, std::ios::trunc);
    out << j.dump(2) << "\n";
    out.close();
    if (!out) {
        error = "cannot write " + path;
        return false;
    }
    return true;
}

}  // namespace kotp::bench
