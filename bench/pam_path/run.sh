#!/usr/bin/env bash
# The PAM-path benchmark: kotp-pambench over pam_permit.so, pam_kotp.so (with a real otpd),
# google-authenticator-libpam and pam_oath, the same users and secrets for all, interleaved in
# one run, and pam_kotp.so's throughput as ratios to the others (bench/pam_path/README.md).
#
# usage: bench/pam_path/run.sh BUILD_DIR OUT_DIR [USERS...]     (default users: 1000 10000)
#   env THREADS: the numbers of concurrent logins to run at (default "1 4")
#   env WORKERS: processes (default) or threads: how kotp-pambench runs them (README.md)
# Writes OUT_DIR/pam_path.json and prints a table. Needs root (google-authenticator's user=root
# setting). Installs nothing; touches nothing under /etc: the PAM stacks are read from a confdir
# in a temporary folder (pam_start_confdir), which is removed at the end with everything in it.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR OUT_DIR [USERS...]   (env THREADS=\"1 4\" WORKERS=processes|threads; default users: 1000 10000)" >&2
  exit 2
}
die() { echo "pam_path/run.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || usage
[ -d "$1" ] || { echo "pam_path/run.sh: BUILD_DIR $1 is not a folder" >&2; usage; }
build=$(cd "$1" && pwd)
out=$2
shift 2
user_counts=("$@")
[ ${#user_counts[@]} -gt 0 ] || user_counts=(1000 10000)
read -r -a thread_counts <<< "${THREADS:-1 4}"
workers=${WORKERS:-processes}
case $workers in
  processes) worker_flag=(--processes) ;;
  threads) worker_flag=() ;;
  *) echo "pam_path/run.sh: WORKERS must be processes or threads, not '$workers'" >&2; usage ;;
esac
[ ${#thread_counts[@]} -gt 0 ] || { echo "pam_path/run.sh: THREADS is empty" >&2; usage; }
for n in "${user_counts[@]}"; do
  if ! [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || [ "$n" -gt 1000000 ]; then
    echo "pam_path/run.sh: USERS must be numbers from 1 to 1000000, not '$n'" >&2
    usage
  fi
done
for t in "${thread_counts[@]}"; do
  [[ $t =~ ^[1-9][0-9]{0,2}$ ]] ||
    { echo "pam_path/run.sh: THREADS must be numbers from 1 to 999, not '$t'" >&2; usage; }
done

[ "$(id -u)" = 0 ] || die "needs root: google-authenticator's stack reads its secret files with user=root (as in shared/tools/peers-setup.sh)"

pambench=$build/bench/kotp-pambench
otpd=$build/otpd/otpd
admin=$build/admin_cli/kotp-admin
pam_kotp=$build/pam_module/pam_kotp.so
for f in "$pambench" "$otpd" "$admin" "$pam_kotp"; do
  [ -x "$f" ] || [ -f "$f" ] ||
    die "$f is missing; build it: cmake --build $build --target kotp-pambench otpd kotp-admin pam_kotp"
done

# The peer modules and tools: Debian packages, named when missing.
secdir=
for d in /lib/*-linux-gnu/security /usr/lib/*-linux-gnu/security /lib64/security /lib/security /usr/lib/security; do
  if [ -e "$d/pam_permit.so" ]; then secdir=$d; break; fi
done
[ -n "$secdir" ] || die "cannot find pam_permit.so (Debian package libpam-modules)"
missing=()
[ -e "$secdir/pam_google_authenticator.so" ] || missing+=(libpam-google-authenticator)
[ -e "$secdir/pam_oath.so" ] || missing+=(libpam-oath)
command -v oathtool > /dev/null || missing+=(oathtool)
command -v jq > /dev/null || missing+=(jq)
[ ${#missing[@]} -eq 0 ] ||
  die "missing Debian packages: ${missing[*]} (install them: apt-get install ${missing[*]})"

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)

umask 077
tmp=$(mktemp -d /tmp/kotp-pambench-XXXXXX)
chmod 700 "$tmp"
otpd_pid=
stop_otpd() {
  if [ -n "$otpd_pid" ]; then
    kill "$otpd_pid" 2> /dev/null || true
    wait "$otpd_pid" 2> /dev/null || true
    otpd_pid=
  fi
}
cleanup() {
  stop_otpd
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The PAM confdir -----------------------------------------------------------------------------
# Linux-PAM reads the `other` service's stack on every pam_start besides the service's own (the
# fallback for types the service leaves out), so the framework's cost depends on it. The
# reference pambench ran with /etc/pam.d, so its `other` and everything `other` includes are
# copied here. Linux-PAM 1.5.2 resolves a relative @include (and `include`/`substack`) against
# /etc/pam.d even under pam_start_confdir, so the copies name each other by absolute path: the
# same files' contents and the same modules loaded, read from here only.
confdir=$tmp/pam.d
mkdir "$confdir"
copy_pam_file() {  # NAME: /etc/pam.d/NAME (or the vendor's /usr/lib/pam.d/NAME) into $confdir
  local name=$1 from
  [ -e "$confdir/$name" ] && return 0
  if [ -f "/etc/pam.d/$name" ]; then from=/etc/pam.d/$name
  elif [ -f "/usr/lib/pam.d/$name" ]; then from=/usr/lib/pam.d/$name
  else return 0; fi
  awk -v dir="$confdir" -v list="$confdir/.includes" '
    $1 == "@include" && $2 !~ /^\// { print $2 > list; $2 = dir "/" $2 }
    ($2 == "include" || $2 == "substack") && $3 !~ /^\// { print $3 > list; $3 = dir "/" $3 }
    { print }' "$from" > "$confdir/$name"
  if [ -f "$confdir/.includes" ]; then
    local included inc
    mapfile -t included < "$confdir/.includes"
    rm -f "$confdir/.includes"
    for inc in "${included[@]}"; do copy_pam_file "$inc"; done
  fi
}
copy_pam_file other

write_services() {  # DIR SOCKET: the four stacks over this user set
  local d=$1 sock=$2
  printf 'auth required pam_permit.so\naccount required pam_permit.so\n' > "$confdir/permit"
  printf 'auth required %s socket=%s\naccount required pam_permit.so\n' "$pam_kotp" "$sock" \
    > "$confdir/kotp"
  # shellcheck disable=SC2016  # ${USER} is google-authenticator's, expanded per login
  printf 'auth required pam_google_authenticator.so secret=%s/ga/${USER} user=root\naccount required pam_permit.so\n' \
    "$d" > "$confdir/ga"
  printf 'auth required pam_oath.so usersfile=%s/users.oath window=1 digits=6\naccount required pam_permit.so\n' \
    "$d" > "$confdir/oath"
}

# --- Users ---------------------------------------------------------------------------------------
# N users with random 20-byte secrets, in every module's format (mode 0600, in the 0700 temp
# folder; never printed): users.txt (kotp-pambench: name hex), users.csv (kotp-admin import:
# name,base32), ga.template/NAME (google-authenticator, as shared/tools/peers-setup.sh writes
# them), users.oath.template (pam_oath). 20 bytes are 32 Base32 characters without padding, so
# one base32 over all secrets cut every 32 characters is each secret's Base32.
make_users() {  # N DIR
  local n=$1 d=$2
  head -c $((20 * n)) /dev/urandom > "$d/raw"
  od -An -tx1 -v -w20 "$d/raw" | tr -d ' ' > "$d/hex"
  base32 -w 32 "$d/raw" > "$d/b32"
  rm "$d/raw"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "user%05d\n", i }' > "$d/names"
  if [ "$(wc -l < "$d/hex")" -ne "$n" ] || [ "$(wc -l < "$d/b32")" -ne "$n" ]; then
    die "could not make $n secrets"
  fi
  paste -d ' ' "$d/names" "$d/hex" > "$d/users.txt"
  paste -d , "$d/names" "$d/b32" > "$d/users.csv"
  awk '{ print "HOTP/T30/6 " $1 " - " $2 }' "$d/users.txt" > "$d/users.oath.template"
  mkdir "$d/ga.template"
  paste -d ' ' "$d/names" "$d/b32" | awk -v dir="$d/ga.template" '{
    f = dir "/" $1
    printf "%s\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n", $2 > f
    close(f) }'
  # The Base32 and the hex of one secret must give the same code (at a fixed time).
  local b32 hex
  b32=$(head -n 1 "$d/b32")
  hex=$(head -n 1 "$d/hex")
  [ "$(oathtool --totp -N '2020-01-01 00:00:00 UTC' -b "$b32")" = \
    "$(oathtool --totp -N '2020-01-01 00:00:00 UTC' "$hex")" ] ||
    die "the Base32 and hex secrets of the generated users disagree"
  rm "$d/hex" "$d/b32" "$d/names"
}

start_otpd() {  # DIR SOCKET
  local d=$1 sock=$2
  printf '# kotp-pambench: otpd with its defaults\n' > "$d/otpd.conf"
  "$otpd" --allow-root --config "$d/otpd.conf" --socket "$sock" --state-dir "$d/otpd-state" \
    2> "$d/otpd.log" &
  otpd_pid=$!
  for _ in $(seq 200); do
    [ -S "$sock" ] && break
    kill -0 "$otpd_pid" 2> /dev/null || break
    sleep 0.05
  done
  [ -S "$sock" ] || { tail -n 20 "$d/otpd.log" >&2; die "otpd did not start"; }
}

# --- Passes --------------------------------------------------------------------------------------
raw=$tmp/passes.jsonl
: > "$raw"
kotp_last_step=-1

pass() {  # N T LABEL SERVICE DIR
  local n=$1 t=$2 label=$3 svc=$4 d=$5 line
  local extra=()
  case $svc in
    # Fresh files each pass: pam_oath rewrites its whole users file per login (its cost grows
    # with what earlier passes left there), google-authenticator appends the used step to each
    # file; from the same files, each pass starts from the same state.
    ga) rm -rf "$d/ga"; cp -a "$d/ga.template" "$d/ga" ;;
    oath) rm -f "$d/users.oath" "$d/users.oath.lock"; cp -a "$d/users.oath.template" "$d/users.oath" ;;
    # otpd keeps its state: a user's code is refused again in a step already used, so the
    # pass waits for a later step than the previous kotp pass's last code (only when needed).
    kotp) extra=(--after-step "$kotp_last_step") ;;
  esac
  sync  # what earlier passes or the copies above left to write back is not this pass's cost
  local refused=false
  if ! line=$("$pambench" --confdir "$confdir" --service "$svc" --users "$d/users.txt" \
                --threads "$t" "${worker_flag[@]}" --json "${extra[@]}" 2> "$tmp/pass.err"); then
    if [ "$svc" = oath ] && [ "$t" -gt 1 ] && [ -n "$line" ]; then
      # pam_oath creates its lock file with O_EXCL and refuses the login when it is there:
      # it lets one login at a time in (in one process or many), the others fail at once.
      refused=true
    else
      cat "$tmp/pass.err" >&2
      [ "$svc" != kotp ] || tail -n 20 "$d/otpd.log" >&2
      die "$label: logins failed (users=$n threads=$t): ${line:-no output}"
    fi
  fi
  local prompts
  prompts=$(jq -r .prompts <<< "$line")
  if [ "$svc" = permit ]; then
    [ "$prompts" -eq 0 ] || die "$label: pam_permit asked $prompts questions"
  else
    [ "$prompts" -eq "$n" ] || die "$label: $prompts prompts for $n logins: the module did not ask for a code"
  fi
  [ "$svc" != kotp ] || kotp_last_step=$(jq -r .last_code_step <<< "$line")
  jq -c --arg m "$label" --argjson refused "$refused" \
    '{module: $m} + . + (if $refused then {refuses_concurrent_logins: true} else {} end)' \
    <<< "$line" >> "$raw"
  jq -r --arg m "$label" '"  \($m): " +
    (if .fail > 0 then "\(.fail) of \(.users) logins refused (pam_oath lets one login at a time in)"
     else "\(.logins_per_s) logins/s, p50 \(.p50_us) us, p99 \(.p99_us) us" end) +
    (if .waited_s > 0 then " (waited \(.waited_s) s for a fresh TOTP step)" else "" end)' <<< "$line" >&2
}

for n in "${user_counts[@]}"; do
  d=$(mktemp -d "$tmp/users-$n-XXXXXX")
  echo "== $n users: making secrets, starting otpd, importing" >&2
  make_users "$n" "$d"
  sock=$d/otpd.sock
  kotp_last_step=-1
  start_otpd "$d" "$sock"
  "$admin" --socket "$sock" import --format csv "$d/users.csv" > "$d/import.log" ||
    { cat "$d/import.log" >&2; die "kotp-admin import failed"; }
  write_services "$d" "$sock"
  for t in "${thread_counts[@]}"; do
    echo "== $n users, $t concurrent login(s) ($workers)" >&2
    pass "$n" "$t" permit_start permit "$d"
    pass "$n" "$t" kotp kotp "$d"
    pass "$n" "$t" ga ga "$d"
    pass "$n" "$t" oath oath "$d"
    pass "$n" "$t" permit_end permit "$d"
  done
  stop_otpd
  rm -rf "$d"
done

# --- Results -------------------------------------------------------------------------------------
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2> /dev/null || echo unknown; }
commit=$(git -C "$src" rev-parse --short HEAD 2> /dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$src" status --porcelain 2> /dev/null)" ]; then
  commit="$commit-dirty"
fi
umask 022
jq -s \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
  --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
  --arg commit "$commit" --arg libpam "$(pkg_version libpam0g)" \
  --arg ga "$(pkg_version libpam-google-authenticator)" --arg oath "$(pkg_version libpam-oath)" '
  def r2: . * 100 | round / 100;
  def m: if .fail > 0
         then {logins_per_s: null, ok, fail, refuses_concurrent_logins,
               note: "pam_oath creates its lock file O_EXCL and refuses a login that finds it: one login at a time"}
         else {logins_per_s, p50_us, p99_us, p999_us, max_us, wall_s, ok, fail} end;
  def ratio(a; b): if a == null or b == null then null else a / b | r2 end;
  {
    benchmark: "pam_path",
    description: "logins/s through a real PAM stack (pam_start, pam_set_item RHOST, pam_authenticate, pam_end), one login per user; kotp-pambench (bench/pam_path)",
    date: $date,
    host: {cpus: $cpus, cpu: $cpu, kernel: $kernel, kotp_commit: $commit,
           libpam0g: $libpam, libpam_google_authenticator: $ga, libpam_oath: $oath},
    targets_at_10000_users: {kotp_over_permit: 0.9, kotp_over_ga: 3, kotp_over_oath: 8},
    results: (group_by([.users, .threads]) | map(
      (map({(.module): .}) | add) as $p
      | (($p.permit_start.logins_per_s + $p.permit_end.logins_per_s) / 2) as $permit
      | {
          users: .[0].users, threads: .[0].threads, workers: .[0].workers,
          modules: {
            permit: {logins_per_s: ($permit | r2),
                     p50_us: (($p.permit_start.p50_us + $p.permit_end.p50_us) / 2),
                     p99_us: (($p.permit_start.p99_us + $p.permit_end.p99_us) / 2),
                     p999_us: (($p.permit_start.p999_us + $p.permit_end.p999_us) / 2)},
            permit_start: ($p.permit_start | m), kotp: ($p.kotp | m), ga: ($p.ga | m),
            oath: ($p.oath | m), permit_end: ($p.permit_end | m)
          },
          permit_spread: (($p.permit_start.logins_per_s - $p.permit_end.logins_per_s | fabs) / $permit
                          * 1000 | round / 1000),
          ratios: (([$p.kotp, $p.ga, $p.oath] | map(if .fail > 0 then null else .logins_per_s end))
                   as [$k, $g, $o]
                   | {kotp_over_permit: ratio($k; $permit), kotp_over_ga: ratio($k; $g),
                      kotp_over_oath: ratio($k; $o)}),
          kotp_waited_s: $p.kotp.waited_s
        })),
    passes: .
  }' "$raw" > "$out/pam_path.json" ||
  { cp "$raw" "$out/pam_path.passes.jsonl"; die "could not summarise the passes (kept in $out/pam_path.passes.jsonl)"; }

echo
printf '%-7s %-7s %-13s %10s %9s %9s %9s\n' users threads module logins/s 'p50 us' 'p99 us' 'p99.9 us'
jq -r '.results[] as $r | ($r.modules | to_entries[] | select(.key != "permit")) |
  [$r.users, $r.threads, .key, .value.logins_per_s, .value.p50_us, .value.p99_us, .value.p999_us] | @tsv' \
  "$out/pam_path.json" |
  while IFS=$'\t' read -r u t mod rate p50 p99 p999; do
    if [ -z "$rate" ]; then
      printf '%-7s %-7s %-13s %10s   (refuses concurrent logins: one at a time)\n' "$u" "$t" "$mod" -
    else
      printf '%-7s %-7s %-13s %10.0f %9.0f %9.0f %9.0f\n' "$u" "$t" "$mod" "$rate" "$p50" "$p99" "$p999"
    fi
  done
echo
jq -r '.results[] | "users \(.users), threads \(.threads): kotp/permit \(.ratios.kotp_over_permit) (target >= 0.9), kotp/ga \(.ratios.kotp_over_ga) (>= 3), kotp/oath \(.ratios.kotp_over_oath // "- (pam_oath failed concurrent logins)") (>= 8); permit \(.modules.permit.logins_per_s | round)/s, start/end spread \(.permit_spread * 1000 | round / 10)%"' \
  "$out/pam_path.json"
echo "(concurrent logins as $workers; written to $out/pam_path.json)"
