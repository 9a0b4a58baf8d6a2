#!/usr/bin/env python3
"""Writes the results of bench/run.sh into docs/PERFORMANCE.md, between the markers
<!-- bench:results:begin --> and <!-- bench:results:end -->: every figure comes from the JSON
files of the run (kotp-load's load-*.json, SQLite and PostgreSQL, bench/pam_path's
pam_path.json), none is typed in.
usage: report.py RESULTS_DIR PERFORMANCE_MD [COMMAND]"""
import glob, json, os, platform, subprocess, sys, datetime

BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    try:
        commit = subprocess.run(["git", "-C", os.path.dirname(__file__), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        commit = "?"
    return cpu, os.cpu_count(), int(mem) // 1024 // 1024, platform.release(), commit


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def load_runs(results):
    """kotp-load's runs: (SQLite, PostgreSQL); a report without "storage" is from before
    PostgreSQL, on SQLite."""
    runs = []
    for path in glob.glob(os.path.join(results, "load-*.json")):
        r = json.load(open(path))
        r["_file"] = os.path.basename(path)
        runs.append(r)
    sqlite = [r for r in runs if r.get("storage", "sqlite") == "sqlite"]
    pg = [r for r in runs if r.get("storage", "sqlite") != "sqlite"]
    sqlite.sort(key=lambda r: (r["token"] != "hotp", r["users"]))
    pg.sort(key=lambda r: (r["token"] != "hotp", r["users"], r.get("nodes", 1)))
    return sqlite, pg


def load_tables(runs):
    out = ["### otpd under load (kotp-load)", "",
           "Each verification is a whole login exchange as pam_kotp.so makes it (connect, BEGIN, the prompt, "
           "the answer, the verdict); latency is from connect to verdict. Mix right/wrong/replayed "
           f"{runs[0]['mix']['right']}/{runs[0]['mix']['wrong']}/{runs[0]['mix']['replay']} %. Every reply was "
           "checked against kotp-load's model of each user (the mismatches column).", "",
           "| users | token | clients | verifications/s | p50 ms | p99 ms | p99.9 ms | otpd CPU µs/verification "
           "| kotp-load CPU µs/verification | otpd peak RSS MiB | mismatches + errors |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        lat = r["latency_us"]
        out.append(f"| {r['users']:,} | {r['token']} | {r['clients']} | {fmt(r['verifications_per_second'])} | "
                   f"{lat['p50'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | {lat['p99_9'] / 1000:.2f} | "
                   f"{r['otpd_cpu']['us_per_verification']:.1f} | {r['loadgen_cpu']['us_per_verification']:.1f} | "
                   f"{r['otpd_memory']['vm_hwm_mib']:.1f} | {r['mismatches'] + r['errors']} |")
    hotp = [r for r in runs if r["token"] == "hotp"]
    out += ["", "### Scaling: cost per verification against the number of users", "",
            "otpd's CPU time per verification (user + system, from /proc/PID/stat over the measured phase) "
            "and wall time per verification (1 / throughput), as ratios to the smallest run.", "",
            "| users | otpd CPU µs/verification | ratio | wall µs/verification | ratio |", "|---:|---:|---:|---:|---:|"]
    base = hotp[0] if hotp else None
    for r in hotp:
        cpu = r["otpd_cpu"]["us_per_verification"]
        wall = 1e6 / r["verifications_per_second"]
        out.append(f"| {r['users']:,} | {cpu:.1f} | {cpu / base['otpd_cpu']['us_per_verification']:.2f} | "
                   f"{wall:.1f} | {wall / (1e6 / base['verifications_per_second']):.2f} |")
    targets = []
    big = [r for r in hotp if r["users"] >= 1_000_000 and r["clients"] == 64]
    if big:
        r = big[-1]
        targets.append(f"| 1. ≥ 30,000 verifications/s, 1M users, 64 clients | {fmt(r['verifications_per_second'])}/s "
                       f"| {verdict(r['verifications_per_second'] >= 30000)} |")
        targets.append(f"| 1. p99 < 5 ms at that load | {r['latency_us']['p99'] / 1000:.2f} ms "
                       f"| {verdict(r['latency_us']['p99'] < 5000)} |")
        ratio = r["otpd_cpu"]["us_per_verification"] / base["otpd_cpu"]["us_per_verification"]
        targets.append(f"| 2. cost per verification 1k → 1M within 1.5x | {ratio:.2f}x (CPU) "
                       f"| {verdict(ratio <= 1.5)} |")
        targets.append(f"| 4. otpd RSS < 64 MB with 1M users | {r['otpd_memory']['vm_hwm_mib']:.1f} MiB peak "
                       f"| {verdict(r['otpd_memory']['vm_hwm_mib'] * 1.048576 < 64)} |")
    return out, targets


def floor_lines(results, runs):
    """kotp-socket-floor: the exchange's kernel price with no work behind it, beside otpd's."""
    path = os.path.join(results, "floor.json")
    if not os.path.exists(path):
        return []
    f = json.load(open(path))
    small = [r for r in runs if r["token"] == "hotp"][:1]
    otpd = (f"; otpd spent {small[0]['otpd_cpu']['us_per_verification']:.1f} µs at {small[0]['users']:,} users "
            "in the same run") if small else ""
    return ["", "The floor under any otpd on this machine (`kotp-socket-floor`, bench/socket_floor): a server "
            "that answers the same exchange (connect, request, reply, request, verdict, close) with fixed bytes, "
            f"{f['clients']} clients in flight: {fmt(f['exchanges_per_s'])} exchanges/s, "
            f"{f['server_cpu_us_per_exchange']:.1f} µs of server CPU and {f['client_cpu_us_per_exchange']:.1f} µs "
            f"of client CPU per exchange{otpd}."]


def wal_table(results, runs):
    """What PostgreSQL wrote per exchange (bench/run.sh's wal-*.json: pg_stat_wal and the
    database's commits before and after each kotp-load run). Runs that enrolled are left out:
    their counters hold the import."""
    rows = []
    for r in runs:
        path = os.path.join(results, "wal-" + r["_file"][len("load-"):])
        if not os.path.exists(path) or not r["enrolment"]["reused"]:
            continue
        w = json.load(open(path))
        n = r["completed_all_phases"]
        d = {k: (w["after"][k] - w["before"][k]) / n for k in w["after"]}
        rows.append(f"| {r['users']:,} | {r.get('nodes', 1)} | {n:,} | {d['xact_commit']:.2f} | {d['wal_sync']:.2f} | "
                    f"{d['wal_records']:.1f} | {d['wal_fpi']:.2f} | {d['wal_bytes'] / 1024:.1f} |")
    if not rows:
        return []
    return ["", "What PostgreSQL wrote per exchange, over each whole kotp-load run on a kept database (warm-up "
            "included; pg_stat_wal, and pg_stat_database's commits of the run's database): commits, WAL flushes "
            "(wal_sync), WAL records, full-page images (wal_fpi) and WAL volume.", "",
            "| users | otpd | exchanges | commits | WAL flushes | WAL records | full-page images | WAL KiB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|", *rows]


def pg_tables(runs, sqlite, results):
    if not runs:
        return ["### otpd on PostgreSQL (kotp-load --storage)", "", "(no PostgreSQL runs in this run)"]
    same = {(r["token"], r["users"], r["clients"]): r for r in sqlite}
    out = ["### otpd on PostgreSQL (kotp-load --storage)", "",
           "The same load against otpd in cluster mode: its state in a PostgreSQL database on the same machine "
           "(bench/pg_server.sh: 127.0.0.1, fsync on, stock settings), one database connection per otpd. With "
           "2 otpd, both serve one database and client c talks to node c % 2. PostgreSQL CPU is the "
           "server's whole CPU time over the measured phase: the postmaster and every child process (the "
           "backends, the WAL writer, the checkpointer ...), from /proc. \"× SQLite\" divides by the SQLite "
           "run at the same users count in this same run. Import: `kotp-admin import` through otpd, users/s "
           "(a kept database is reused; its figure is from the run that enrolled it).", "",
           "| users | otpd | verifications/s | × SQLite | p50 ms | p99 ms | p99.9 ms | otpd CPU µs/verification "
           "| PostgreSQL CPU µs/verification | CPU × SQLite | otpd peak RSS MiB | import users/s "
           "| mismatches + errors |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        lat = r["latency_us"]
        otpd_cpu = r["otpd_cpu"]["us_per_verification"] if r.get("otpd_cpu") else None
        db_cpu = r["db_server_cpu"]["us_per_verification"] if r.get("db_server_cpu") else None
        base = same.get((r["token"], r["users"], r["clients"]))
        rate = r["verifications_per_second"] / base["verifications_per_second"] if base else None
        cpu = None
        if base and otpd_cpu is not None and db_cpu is not None:
            cpu = (otpd_cpu + db_cpu) / base["otpd_cpu"]["us_per_verification"]
        enrol = r["enrolment"]
        imported = r["users"] / enrol["import_seconds"] if enrol.get("import_seconds") else None
        out.append(f"| {r['users']:,} | {r.get('nodes', 1)} | {fmt(r['verifications_per_second'])} | "
                   f"{fmt(rate, 3)} | {lat['p50'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | "
                   f"{lat['p99_9'] / 1000:.2f} | {fmt(otpd_cpu, 1)} | {fmt(db_cpu, 1)} | {fmt(cpu, 1)} | "
                   f"{r['otpd_memory']['vm_hwm_mib']:.1f} | {fmt(imported)} | {r['mismatches'] + r['errors']} |")
    out += ["", "\"CPU × SQLite\" is (otpd + PostgreSQL) CPU per verification over SQLite-otpd's. With 2 otpd, "
            "otpd CPU is both processes' and RSS the larger one's. What limits these figures: \"otpd on "
            "PostgreSQL\" above the results."]
    return out + wal_table(results, runs)


def pam_tables(results):
    path = os.path.join(results, "pam_path.json")
    if not os.path.exists(path):
        return ["(no PAM-path results in this run)"], []
    d = json.load(open(path))
    out = ["### The PAM path (kotp-pambench, bench/pam_path)", "",
           "pam_start, pam_authenticate (answering with the user's current TOTP code), pam_end, one login per "
           "user, with the framework's usual `other` stack in the confdir as in /etc/pam.d. Logins/s; concurrent "
           "logins run as separate processes. pam_permit ran first and last; its figure is their mean.", "",
           "| users | concurrent | pam_permit | pam_kotp | google-authenticator | pam_oath | kotp/permit | kotp/GA "
           "| kotp/oath | permit spread |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    targets = []
    for r in d["results"]:
        m, q = r["modules"], r["ratios"]
        get = lambda k: m.get(k, {}).get("logins_per_s")
        out.append(f"| {r['users']:,} | {r['threads']} | {fmt(get('permit'))} | {fmt(get('kotp'))} | {fmt(get('ga'))} | "
                   f"{fmt(get('oath'))} | {fmt(q['kotp_over_permit'], 2)} | {fmt(q['kotp_over_ga'], 2)} | "
                   f"{fmt(q['kotp_over_oath'], 2)} | {r['permit_spread'] * 100:.1f} % |")
        if r["users"] == 10000 and r["threads"] == 1:
            for key, name, goal in (("kotp_over_permit", "pam_permit", 0.9), ("kotp_over_ga", "google-authenticator", 3),
                                    ("kotp_over_oath", "pam_oath", 8)):
                v = q[key]
                targets.append(f"| 3. PAM path, 10k users, one at a time: ≥ {goal}x {name} | {fmt(v, 2)}x "
                               f"| {verdict(v is not None and v >= goal)} |")
    return out, targets


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    results, doc = sys.argv[1], sys.argv[2]
    command = sys.argv[3] if len(sys.argv) > 3 else "bash bench/run.sh"
    cpu, ncpu, mem, kernel, commit = machine()
    sqlite_runs, pg_runs = load_runs(results)
    load, t1 = load_tables(sqlite_runs)
    load += floor_lines(results, sqlite_runs)
    pg = pg_tables(pg_runs, sqlite_runs, results)
    pam, t2 = pam_tables(results)
    body = [BEGIN, "",
            f"Run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `{command.strip()}` "
            f"at commit {commit}: {ncpu} × {cpu}, {mem} GiB, Linux {kernel}; load generator and otpd on the same "
            "machine; the state on the root file system (ext4 on virtio).", "",
            "| target | measured | |", "|---|---|---|", *t1, *t2, "", *load, "", *pg, "", *pam, "", END]
    text = open(doc).read() if os.path.exists(doc) else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        sys.exit(f"{doc} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    open(doc, "w").write(head + "\n".join(body) + tail)


main()
