#!/usr/bin/env bash
# kotp's benchmark suite, one command (bench/README.md):
#   1. kotp-load against a real otpd on SQLite: USERS (default 1k, 100k, 1M) HOTP users, CLIENTS
#      (64) concurrent clients, SECONDS_PER_RUN (10) each, every reply checked; and TOTP users at
#      the largest N (one login per user per 30-s step needs users >> rate x 30);
#   2. kotp-load against otpd on PostgreSQL (cluster mode): PG_USERS (default 1k, 100k) HOTP
#      users, same CLIENTS and SECONDS_PER_RUN, one otpd, then PG_NODES (default 2) otpd sharing
#      the database. A cluster of the bench's own (bench/pg_server.sh) in STATE/pg, on a free
#      port of 127.0.0.1, stopped at the end. On when a server is installed under
#      /usr/lib/postgresql/*/bin; PG=0 leaves it out, PG_NODES="" the multi-node runs;
#   3. the PAM path (bench/pam_path/run.sh): pam_kotp.so, pam_permit.so, google-authenticator
#      and pam_oath at PAM_USERS (1k, 10k), at THREADS concurrent logins ("1 4");
#   4. kotp-socket-floor: the same exchange against a server that does no work, the floor under
#      any otpd on this machine;
#   5. bench/report.py writes the results into docs/PERFORMANCE.md (between its markers).
# Needs root, and the Debian packages of scripts/install-deps.sh plus libpam-google-authenticator
# and libpam-oath. Enrolled states are kept in STATE (default /var/tmp/kotp-bench): a million
# users take half a minute to import into SQLite, later runs reuse them; the PostgreSQL cluster
# and its databases (one per N, reset when the state folder that enrolled it is not reusable)
# are kept there too. Nothing under /etc is touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build-bench}
out=${OUT:-$root/bench/results}
state=${STATE:-/var/tmp/kotp-bench}
read -r -a users <<< "${USERS:-1000 100000 1000000}"
read -r -a pam_users <<< "${PAM_USERS:-1000 10000}"
read -r -a pg_users <<< "${PG_USERS:-1000 100000}"
read -r -a pg_nodes <<< "${PG_NODES-2}"
clients=${CLIENTS:-64}
seconds=${SECONDS_PER_RUN:-10}
# shellcheck source=bench/pg_server.sh
source "$root/bench/pg_server.sh"
pg=${PG:-1}
if [ "$pg" != 0 ] && [ -z "$(pg_find_bin)" ]; then
  echo "run.sh: no PostgreSQL server under /usr/lib/postgresql/*/bin: the PostgreSQL runs are left out"
  pg=0
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF > /dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target otpd kotp-admin pam_kotp kotp-load kotp-pambench \
  kotp-socket-floor
mkdir -p "$out" "$state"
rm -f "$out"/load-*.json "$out"/wal-*.json "$out"/pam_path.json "$out"/floor.json

load() {  # state-folder json [kotp-load options]
  local dir=$1 json=$2
  shift 2
  # A kept state's file starts with nothing in the page cache, as after a restart of otpd; its
  # own reads fill it. What earlier runs or copies left there skews the run: a file read
  # sequentially (cp, cat) is cached in large folios, and the checkpoints' 4 KiB writes into
  # those cost this kernel far more (ext4_block_write_begin): 79-83 us per verification at 1k
  # users against 60-64 us.
  local db=$state/$dir/otpd-state/kotp.db
  if [ -f "$db" ]; then
    python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$db"
  fi
  "$build/bench/kotp-load" --otpd "$build/otpd/otpd" --admin "$build/admin_cli/kotp-admin" \
    --state "$state/$dir" --keep-state --clients "$clients" --seconds "$seconds" --json "$json" "$@"
}
for n in "${users[@]}"; do load "hotp-$n" "$out/load-hotp-$n.json" --token hotp --users "$n"; done
largest=${users[${#users[@]}-1]}
load "totp-$largest" "$out/load-totp-$largest.json" --token totp --users "$largest"

# Whether kotp-load will reuse the state folder: its manifest is clean and names this storage
# (bench/otpd_load/bench_state.hpp). If not, kotp-load enrols afresh and needs an empty database.
reusable() {  # state-folder storage
  local manifest=$1/kotp-load.manifest
  [ -f "$manifest" ] && grep -qx 'clean 1' "$manifest" && grep -qxF "storage $2" "$manifest"
}
if [ "$pg" != 0 ]; then
  pg_start "$state/pg"
  trap pg_stop EXIT
  for n in "${pg_users[@]}"; do
    url=$(pg_url "kotp_hotp_$n")
    reusable "$state/pg-hotp-$n" "$url" || pg_fresh_database "kotp_hotp_$n"
    # One state folder per N for one otpd and for several: the same users, key and database.
    for k in 1 "${pg_nodes[@]}"; do
      [ "$k" = 1 ] && name=pg-hotp-$n || name=pg${k}-hotp-$n
      before=$(pg_counters "kotp_hotp_$n")
      load "pg-hotp-$n" "$out/load-$name.json" --token hotp --users "$n" --nodes "$k" --storage "$url" \
        --storage-password-file "$pg_password_file" --db-server-pid "$pg_pid"
      sleep 1  # otpd's server process has ended; its statistics are flushed
      # What the server wrote over the whole kotp-load run (report.py: per exchange, kept databases).
      printf '{"database": "kotp_hotp_%s", "before": %s, "after": %s}\n' "$n" "$before" \
        "$(pg_counters "kotp_hotp_$n")" > "$out/wal-$name.json"
    done
  done
  pg_stop
fi

bash "$root/bench/pam_path/run.sh" "$build" "$out" "${pam_users[@]}"
"$build/bench/kotp-socket-floor" --clients "$clients" --seconds "$seconds" > "$out/floor.json"
# The command as run, with the settings given in the environment.
command=""
for v in STATE USERS PAM_USERS PG PG_USERS PG_NODES CLIENTS SECONDS_PER_RUN THREADS; do
  [ -z "${!v+x}" ] || command+="$v=$(printf '%q' "${!v}") "
done
python3 "$root/bench/report.py" "$out" "$root/docs/PERFORMANCE.md" "${command}bash bench/run.sh"
echo "results: $out; docs/PERFORMANCE.md updated"
