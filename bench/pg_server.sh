# The PostgreSQL server of bench/run.sh (sourced by it; bench/README.md). One cluster of its own in
# PG_DIR, made once by initdb as the postgres user and kept across runs, started in the background
# on a free high port of 127.0.0.1 (55500 upwards; the port of the last run when it is still free)
# and on a socket in PG_DIR, and stopped by its PID. fsync is on (durability is the point); every
# other setting is the stock one. It never touches another cluster: not the system's on 5432, not
# a server someone else started.
#
#   pg_start PG_DIR      sets pg_pid, pg_port, pg_password_file; role kotp gets a new password
#                        (in pg_password_file, mode 0600) at each start
#   pg_stop              fast shutdown (SIGINT) of pg_pid, and wait for it
#   pg_fresh_database N  drops database N if it exists and creates it empty, owned by kotp
#   pg_url N             the connection string of database N for otpd (no password)
#   pg_counters N        PostgreSQL's WAL counters and database N's commits, as one JSON object

pg_bin=""
pg_dir=""
pg_pid=""
pg_port=""
pg_password_file=""

# The newest installed server's binaries, or nothing.
pg_find_bin() {
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x "$dir/psql" ] && [ -x "$dir/pg_isready" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$dir" | sort -V | tail -n 1)" = "$dir" ]; then best=$dir; fi
  done
  printf '%s' "$best"
}

pg_fail() { echo "bench/pg_server.sh: $*" >&2; exit 1; }

# Runs a command as the postgres user, in PG_DIR (its own folder).
as_postgres() { (cd "$pg_dir" && exec setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"); }

# SQL on stdin, as the superuser postgres over the socket in PG_DIR (peer authentication).
pg_psql() {  # database
  as_postgres "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d "$1" -f -
}

# Whether nobody listens on 127.0.0.1:PORT.
pg_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_start() {
  pg_dir=$1
  pg_bin=$(pg_find_bin)
  [ -n "$pg_bin" ] || pg_fail "no PostgreSQL server under /usr/lib/postgresql/*/bin"
  id postgres > /dev/null 2>&1 || pg_fail "there is no postgres user to run the server as"
  mkdir -p "$pg_dir"
  chown postgres:postgres "$pg_dir"
  chmod 0700 "$pg_dir"
  as_postgres test -w "$pg_dir" ||
    pg_fail "the postgres user cannot reach $pg_dir: every folder above it must be searchable by others"

  if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
    rm -rf "$pg_dir/data"
    echo "initdb: a new cluster in $pg_dir/data"
    as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth-local=peer --auth-host=reject \
      -E UTF8 --locale=C > "$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; pg_fail "initdb failed"; }
  fi
  # Who may connect: postgres over the socket (the set-up), kotp over TCP with its password.
  as_postgres tee "$pg_dir/data/pg_hba.conf" > /dev/null <<'EOF'
# written by bench/pg_server.sh
local  all  postgres                peer
host   all  kotp      127.0.0.1/32  scram-sha-256
EOF

  pg_port=""
  local last port
  last=$(cat "$pg_dir/port" 2>/dev/null || true)
  for port in $last $(seq 55500 55599); do
    if pg_port_free "$port"; then pg_port=$port; break; fi
  done
  [ -n "$pg_port" ] || pg_fail "no free port on 127.0.0.1 from 55500 to 55599"
  echo "$pg_port" > "$pg_dir/port"

  # exec: $! is the postmaster itself.
  (cd "$pg_dir" && exec setpriv --reuid=postgres --regid=postgres --clear-groups -- "$pg_bin/postgres" \
    -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" -c listen_addresses=127.0.0.1 -c fsync=on \
    -c logging_collector=off) >> "$pg_dir/server.log" 2>&1 &
  pg_pid=$!
  local tries=0
  until as_postgres "$pg_bin/pg_isready" -q -h "$pg_dir" -p "$pg_port" -t 1 &&
        echo 'SELECT 1' | pg_psql postgres > /dev/null 2>&1; do
    if ! kill -0 "$pg_pid" 2>/dev/null; then
      wait "$pg_pid" || true
      pg_pid=""
      tail -n 20 "$pg_dir/server.log" >&2
      pg_fail "postgres ended while starting on 127.0.0.1:$pg_port"
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { pg_stop; pg_fail "postgres did not accept connections within 60 s"; }
    sleep 0.1
  done
  echo "postgres (pid $pg_pid) serves 127.0.0.1:$pg_port and $pg_dir, data in $pg_dir/data"

  # The role otpd logs in as. A new password each start: it never leaves this file and psql's stdin.
  pg_password_file=$pg_dir/kotp.password
  (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$pg_password_file" && echo >> "$pg_password_file")
  chmod 0600 "$pg_password_file"
  pg_psql postgres > /dev/null <<EOF
SET log_min_error_statement = panic;
SELECT 'CREATE ROLE kotp LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kotp') \gexec
ALTER ROLE kotp PASSWORD '$(head -n 1 "$pg_password_file")';
EOF
}

pg_stop() {
  [ -n "$pg_pid" ] || return 0
  kill -INT "$pg_pid" 2>/dev/null || true  # fast shutdown: roll back, checkpoint, exit
  wait "$pg_pid" 2>/dev/null || true
  echo "postgres (pid $pg_pid) stopped"
  pg_pid=""
}

pg_fresh_database() {
  pg_psql postgres > /dev/null <<EOF
DROP DATABASE IF EXISTS $1;
CREATE DATABASE $1 OWNER kotp;
EOF
}

pg_url() { printf 'postgresql://kotp@127.0.0.1:%s/%s' "$pg_port" "$1"; }

pg_counters() {
  as_postgres "$pg_bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d postgres -f - <<EOF
SELECT json_build_object('wal_records', w.wal_records, 'wal_fpi', w.wal_fpi, 'wal_bytes', w.wal_bytes,
                         'wal_sync', w.wal_sync, 'xact_commit', d.xact_commit)
FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = '$1';
EOF
}
