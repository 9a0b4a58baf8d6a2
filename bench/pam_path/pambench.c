/* kotp-pambench: logins through a real PAM stack, one per user, T at a time.
 *
 * The measurement of the reference harness (shared/tools/pambench.c): for each user
 * pam_start, pam_set_item(PAM_RHOST), pam_authenticate, pam_end, every prompt answered with
 * the user's current TOTP code (HMAC-SHA1), and the time of the four calls taken as the login's
 * latency. The stack is read from --confdir through pam_start_confdir (Linux-PAM >= 1.4), so
 * nothing under /etc/pam.d is needed or touched; without --confdir it is the system's.
 *
 * TOTP steps: each user logs in once per run, with the code of the step its prompt comes in,
 * so a step boundary in the middle of a run is harmless (a code computed just before the
 * boundary and checked just after is inside every module's window). It matters across runs:
 * a module that refuses a reused code (google-authenticator's DISALLOW_REUSE, otpd, pam_oath)
 * refuses the same user's code for a step it has already accepted. --after-step S makes the run
 * wait, before its clock starts, until the current step is later than S; the output's
 * last_code_step is the latest step any code of this run was for, the S to give the next run
 * over the same users and module.
 *
 * Workers: T threads in one process, as the reference, or with --processes T processes forked
 * before the first login (each then loads and unloads the stack's modules per login, as a
 * process of its own; threads in one process share the modules another thread has loaded).
 *
 * Prints one line of key=value pairs (or one JSON object with --json); exits 1 if any login
 * failed, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAME 64
#define MAX_KEY 64

typedef struct {
    char name[MAX_NAME];
    unsigned char key[MAX_KEY];
    int keylen;
} user_t;

static const char *service;
static const char *confdir;  /* NULL: the system's configuration (/etc/pam.d) */
static const char *match;    /* NULL: answer every echo-on/off prompt */
static const char *rhost = "192.0.2.10";
static unsigned period = 30, digits = 6;

static user_t *users;
static size_t nusers;

/* Shared with the worker processes (MAP_SHARED), or only between threads. */
typedef struct {
    atomic_size_t next_idx, n_ok, n_fail, n_prompts, errors_shown;
    atomic_llong max_code_step;
    /* Nanoseconds over all logins in each phase: pam_start, pam_set_item + pam_authenticate,
     * pam_end (where a module's cost lands: loading it, the exchange, unloading it). */
    atomic_ullong start_ns, auth_ns, end_ns;
} shared_t;
static shared_t *sh;
static double *lat;

static void usage(FILE *to) {
    fprintf(to,
            "usage: kotp-pambench --service NAME --users FILE [--confdir DIR] [--threads T]\n"
            "                     [--period SECONDS] [--digits D] [--prompt-match TEXT]\n"
            "                     [--rhost ADDR] [--after-step S] [--processes] [--json]\n"
            "  FILE: lines 'username hexsecret', one login per user; T workers: threads,\n"
            "  or processes with --processes\n");
}

static double mono_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long long current_step(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec / (long long)period;
}

static void totp(const user_t *u, char *out, size_t outlen) {
    const long long step = current_step();
    long long seen = atomic_load(&sh->max_code_step);
    while (step > seen && !atomic_compare_exchange_weak(&sh->max_code_step, &seen, step)) {
    }
    uint64_t counter = (uint64_t)step;
    unsigned char msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xffu);
        counter >>= 8;
    }
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    HMAC(EVP_sha1(), u->key, u->keylen, msg, sizeof msg, h, &hl);
    const unsigned o = h[hl - 1] & 0xfu;
    const uint32_t v = ((uint32_t)(h[o] & 0x7fu) << 24) | ((uint32_t)h[o + 1] << 16) |
                       ((uint32_t)h[o + 2] << 8) | (uint32_t)h[o + 3];
    uint32_t mod = 1;
    for (unsigned i = 0; i < digits; i++) mod *= 10;
    snprintf(out, outlen, "%0*u", (int)digits, v % mod);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
    const user_t *u = data;
    if (n <= 0) return PAM_CONV_ERR;
    struct pam_response *r = calloc((size_t)n, sizeof *r);
    if (r == NULL) return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        const int style = msg[i]->msg_style;
        if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON) continue;
        if (match == NULL || (msg[i]->msg != NULL && strstr(msg[i]->msg, match) != NULL)) {
            char code[16];
            totp(u, code, sizeof code);
            r[i].resp = strdup(code);
            atomic_fetch_add(&sh->n_prompts, 1);
        } else {
            r[i].resp = strdup("");
        }
        if (r[i].resp == NULL) {
            for (int j = 0; j < i; j++) free(r[j].resp);
            free(r);
            return PAM_BUF_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        const size_t i = atomic_fetch_add(&sh->next_idx, 1);
        if (i >= nusers) return NULL;
        struct pam_conv c = {conv, &users[i]};
        pam_handle_t *ph = NULL;
        const double t0 = mono_now();
        int rc = pam_start_confdir(service, users[i].name, &c, confdir, &ph);
        const double t1 = mono_now();
        if (rc == PAM_SUCCESS) {
            rc = pam_set_item(ph, PAM_RHOST, rhost);
            if (rc == PAM_SUCCESS) rc = pam_authenticate(ph, 0);
        }
        const char *why = pam_strerror(ph, rc);
        const double t2 = mono_now();
        if (ph != NULL) pam_end(ph, rc);
        const double t3 = mono_now();
        lat[i] = t3 - t0;
        atomic_fetch_add(&sh->start_ns, (unsigned long long)((t1 - t0) * 1e9));
        atomic_fetch_add(&sh->auth_ns, (unsigned long long)((t2 - t1) * 1e9));
        atomic_fetch_add(&sh->end_ns, (unsigned long long)((t3 - t2) * 1e9));
        if (rc == PAM_SUCCESS) {
            atomic_fetch_add(&sh->n_ok, 1);
        } else {
            atomic_fetch_add(&sh->n_fail, 1);
            if (atomic_fetch_add(&sh->errors_shown, 1) < 5)
                fprintf(stderr, "kotp-pambench: login of %s failed: %s\n", users[i].name, why);
        }
    }
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest latency with at least q of all logins at or below it. */
static double percentile_us(double q) {
    size_t rank = (size_t)ceil(q * (double)nusers);
    if (rank < 1) rank = 1;
    if (rank > nusers) rank = nusers;
    return lat[rank - 1] * 1e6;
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out) {
    char *end = NULL;
    errno = 0;
    const unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int load_users(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "kotp-pambench: %s: %s\n", path, strerror(errno));
        return 0;
    }
    size_t cap = 1024;
    users = malloc(cap * sizeof *users);
    char line[512];
    unsigned long lineno = 0;
    while (users != NULL && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char name[MAX_NAME + 1], hex[2 * MAX_KEY + 2];
        if (line[0] == '\n' || line[0] == '#') continue;
        if (sscanf(line, "%64s %129s", name, hex) != 2 || strlen(name) >= MAX_NAME ||
            strlen(hex) % 2 != 0 || strlen(hex) > 2 * MAX_KEY || hex[0] == '\0') {
            fprintf(stderr, "kotp-pambench: %s:%lu: expected 'username hexsecret'\n", path, lineno);
            fclose(f);
            return 0;
        }
        if (nusers == cap) {
            cap *= 2;
            user_t *grown = realloc(users, cap * sizeof *users);
            if (grown == NULL) break;
            users = grown;
        }
        user_t *u = &users[nusers];
        memset(u, 0, sizeof *u);
        memcpy(u->name, name, strlen(name) + 1);
        u->keylen = (int)(strlen(hex) / 2);
        for (int i = 0; i < u->keylen; i++) {
            const int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "kotp-pambench: %s:%lu: the secret is not hex\n", path, lineno);
                fclose(f);
                return 0;
            }
            u->key[i] = (unsigned char)(hi * 16 + lo);
        }
        nusers++;
    }
    fclose(f);
    if (users == NULL) {
        fprintf(stderr, "kotp-pambench: out of memory\n");
        return 0;
    }
    if (nusers == 0) {
        fprintf(stderr, "kotp-pambench: %s: no users\n", path);
        return 0;
    }
    return 1;
}

static void json_string(const char *s) {
    putchar('"');
    for (; s != NULL && *s != '\0'; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    const char *users_file = NULL;
    unsigned long threads = 1, after_set = 0;
    long long after_step = 0;
    int json = 0, processes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n = 0;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        } else if (strcmp(a, "--processes") == 0) {
            processes = 1;
            continue;
        } else if (v == NULL) {
            fprintf(stderr, "kotp-pambench: %s needs a value\n", a);
            usage(stderr);
            return 2;
        } else if (strcmp(a, "--service") == 0) {
            service = v;
        } else if (strcmp(a, "--users") == 0) {
            users_file = v;
        } else if (strcmp(a, "--confdir") == 0) {
            confdir = v;
        } else if (strcmp(a, "--prompt-match") == 0) {
            match = v;
        } else if (strcmp(a, "--rhost") == 0) {
            rhost = v;
        } else if (strcmp(a, "--threads") == 0 && parse_ulong(v, 1, 1024, &n)) {
            threads = n;
        } else if (strcmp(a, "--period") == 0 && parse_ulong(v, 1, 3600, &n)) {
            period = (unsigned)n;
        } else if (strcmp(a, "--digits") == 0 && parse_ulong(v, 6, 8, &n)) {
            digits = (unsigned)n;
        } else if (strcmp(a, "--after-step") == 0) {
            char *end = NULL;
            errno = 0;
            after_step = strtoll(v, &end, 10);
            if (errno != 0 || end == v || *end != '\0') {
                fprintf(stderr, "kotp-pambench: bad value for --after-step: %s\n", v);
                usage(stderr);
                return 2;
            }
            after_set = 1;
        } else {
            fprintf(stderr, "kotp-pambench: unknown option or bad value: %s %s\n", a, v);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (service == NULL || users_file == NULL) {
        fprintf(stderr, "kotp-pambench: --service and --users are required\n");
        usage(stderr);
        return 2;
    }
    if (!load_users(users_file)) return 2;
    /* Anonymous shared memory: zeroed, and seen by forked workers as by threads. */
    void *mem = mmap(NULL, sizeof *sh + nusers * sizeof *lat, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_t *th = calloc(threads, sizeof *th);
    pid_t *pids = calloc(threads, sizeof *pids);
    if (mem == MAP_FAILED || th == NULL || pids == NULL) {
        fprintf(stderr, "kotp-pambench: out of memory\n");
        return 2;
    }
    sh = mem;
    lat = (double *)(void *)(sh + 1);
    atomic_init(&sh->max_code_step, -1);

    /* A user whose code for step S was accepted by the previous run cannot log in again in
     * step S with a module that refuses reuse: wait for a later step before the clock starts. */
    double waited = 0;
    if (after_set) {
        const double w0 = mono_now();
        while (current_step() <= after_step) {
            const struct timespec ten_ms = {0, 10 * 1000 * 1000};
            nanosleep(&ten_ms, NULL);
        }
        waited = mono_now() - w0;
    }

    const long long first_step = current_step();
    const double t0 = mono_now();
    size_t started = 0;
    int lost = 0;  /* worker processes that did not exit normally */
    if (processes) {
        fflush(NULL);
        for (; started < threads; started++) {
            pids[started] = fork();
            if (pids[started] < 0) {
                fprintf(stderr, "kotp-pambench: fork: %s\n", strerror(errno));
                break;
            }
            if (pids[started] == 0) {
                worker(NULL);
                _exit(0);
            }
        }
        for (size_t i = 0; i < started; i++) {
            int status = 0;
            if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                lost++;
        }
    } else {
        for (; started < threads; started++) {
            const int rc = pthread_create(&th[started], NULL, worker, NULL);
            if (rc != 0) {
                fprintf(stderr, "kotp-pambench: pthread_create: %s\n", strerror(rc));
                break;
            }
        }
        for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
    }
    const double wall = mono_now() - t0;
    if (started == 0) return 2;

    const size_t ok = atomic_load(&sh->n_ok), fail = atomic_load(&sh->n_fail);
    if (lost != 0 || ok + fail != nusers) {
        fprintf(stderr, "kotp-pambench: %d worker process(es) died; %zu of %zu logins done\n",
                lost, ok + fail, nusers);
        return 1;
    }
    qsort(lat, nusers, sizeof *lat, cmp_double);
    const double rate = (double)nusers / wall;
    const double p50 = percentile_us(0.50), p99 = percentile_us(0.99), p999 = percentile_us(0.999);
    const double max = lat[nusers - 1] * 1e6;
    const size_t prompts = atomic_load(&sh->n_prompts);
    const long long last_code_step = atomic_load(&sh->max_code_step);
    const char *mode = processes ? "processes" : "threads";
    const double start_us = (double)atomic_load(&sh->start_ns) / 1e3 / (double)nusers;
    const double auth_us = (double)atomic_load(&sh->auth_ns) / 1e3 / (double)nusers;
    const double end_us = (double)atomic_load(&sh->end_ns) / 1e3 / (double)nusers;
    if (json) {
        printf("{\"service\":");
        json_string(service);
        printf(",\"confdir\":");
        if (confdir != NULL)
            json_string(confdir);
        else
            printf("null");
        printf(",\"users\":%zu,\"threads\":%lu,\"workers\":\"%s\",\"ok\":%zu,\"fail\":%zu,\"prompts\":%zu,"
               "\"wall_s\":%.3f,\"logins_per_s\":%.1f,\"p50_us\":%.0f,\"p99_us\":%.0f,"
               "\"p999_us\":%.0f,\"max_us\":%.0f,\"waited_s\":%.3f,\"first_step\":%lld,"
               "\"last_code_step\":%lld,\"mean_start_us\":%.1f,\"mean_auth_us\":%.1f,\"mean_end_us\":%.1f}\n",
               nusers, (unsigned long)started, mode, ok, fail, prompts, wall, rate, p50, p99, p999,
               max, waited, first_step, last_code_step, start_us, auth_us, end_us);
    } else {
        printf("service=%s n=%zu threads=%lu workers=%s ok=%zu fail=%zu prompts=%zu wall_s=%.3f "
               "logins_per_s=%.0f p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f waited_s=%.3f "
               "first_step=%lld last_code_step=%lld mean_start_us=%.0f mean_auth_us=%.0f mean_end_us=%.0f\n",
               service, nusers, (unsigned long)started, mode, ok, fail, prompts, wall, rate, p50, p99,
               p999, max, waited, first_step, last_code_step, start_us, auth_us, end_us);
    }
    return fail != 0 || started < threads ? 1 : 0;
}
