/* kotp-socket-floor: the kernel's price of pam_kotp.so's exchange, with no work behind it.
 *
 * A server process answers the exchange a login makes with otpd (connect, a request, a reply,
 * a second request, the verdict, close) with fixed bytes: no parsing, no database, no crypto,
 * no disk. A client process keeps C connections in flight, as kotp-load does. What it reports
 * (exchanges/s, each process's CPU per exchange from getrusage) is the floor under any otpd
 * on this machine: an otpd that did nothing at all could not beat it.
 *
 * usage: kotp-socket-floor [--clients C] [--seconds S] [--server-threads T]
 * Prints one JSON object. bench/README.md says how its figures are used. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The sizes of a real exchange's frames (an AuthBegin, its prompt, an AuthAnswer, its verdict). */
enum { kBegin = 72, kPrompt = 48, kAnswer = 40, kVerdict = 40, kMaxEvents = 256 };

static void die(const char *what) {
    perror(what);
    exit(2);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Another process's CPU seconds (user + system), from /proc/PID/stat. */
static double process_cpu_s(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long ut = 0, st = 0;
    if (f == NULL || fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        die("read server stat");
    fclose(f);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- server: T threads, each an epoll loop sharing the listener (EPOLLEXCLUSIVE) ---- */

static int g_listener;

/* A connection's state rides in the epoll data: fd in the low 32 bits, requests seen above. */
static void *serve(void *unused) {
    (void)unused;
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = (uint64_t)-1};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, g_listener, &ev) != 0) die("epoll_ctl listener");
    static const char prompt[kPrompt], verdict[kVerdict];
    char buf[256];
    struct epoll_event events[kMaxEvents];
    for (;;) {
        const int n = epoll_wait(ep, events, kMaxEvents, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 == (uint64_t)-1) {
                for (int taken = 0; taken < 64; ++taken) { /* the whole backlog, as otpd takes it */
                    const int fd = accept4(g_listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    struct epoll_event cev = {.events = EPOLLIN, .data.u64 = (uint64_t)(unsigned)fd};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0) die("epoll_ctl add");
                }
                continue;
            }
            const int fd = (int)(events[i].data.u64 & 0xffffffffu);
            const unsigned seen = (unsigned)(events[i].data.u64 >> 32);
            const ssize_t got = recv(fd, buf, sizeof buf, 0);
            if (got <= 0) {
                close(fd);
                continue;
            }
            if (seen == 0) {
                if (send(fd, prompt, sizeof prompt, MSG_NOSIGNAL) < 0) die("send prompt");
                struct epoll_event cev = {.events = EPOLLIN, .data.u64 = (uint64_t)(unsigned)fd | (1ull << 32)};
                if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev) != 0) die("epoll_ctl mod");
            } else {
                if (send(fd, verdict, sizeof verdict, MSG_NOSIGNAL) < 0) die("send verdict");
                close(fd);
            }
        }
    }
    return NULL;
}

static void run_server(int threads) {
    pthread_t ids[16];
    for (int t = 1; t < threads; ++t)
        if (pthread_create(&ids[t], NULL, serve, NULL) != 0) die("pthread_create");
    serve(NULL);
}

/* ---- client: one epoll loop, C connections in flight ---- */

struct conn {
    int fd;
    int stage; /* 0: waiting for the prompt, 1: waiting for the verdict */
};

static int open_one(int ep, const struct sockaddr_un *addr, struct conn *c) {
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) != 0) die("connect");
    static const char begin[kBegin];
    if (send(c->fd, begin, sizeof begin, MSG_NOSIGNAL) != kBegin) die("send begin");
    c->stage = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

int main(int argc, char **argv) {
    int clients = 64, seconds = 5, server_threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--clients") == 0) clients = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0) seconds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--server-threads") == 0) server_threads = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: %s [--clients C] [--seconds S] [--server-threads T]\n", argv[0]);
            return 2;
        }
    }
    if (clients < 1 || clients > 4096 || seconds < 1 || server_threads < 1 || server_threads > 16) {
        fprintf(stderr, "kotp-socket-floor: clients 1-4096, seconds 1 or more, server threads 1-16\n");
        return 2;
    }

    char dir[] = "/tmp/kotp-floor-XXXXXX";
    if (mkdtemp(dir) == NULL) die("mkdtemp");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/s", dir);
    g_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (g_listener < 0 || bind(g_listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(g_listener, 4096) != 0)
        die("listen");
    const pid_t server = fork();
    if (server < 0) die("fork");
    if (server == 0) {
        run_server(server_threads);
        _exit(0);
    }
    close(g_listener);

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)clients, sizeof *conns);
    if (ep < 0 || conns == NULL) die("setup");
    for (int i = 0; i < clients; ++i)
        if (open_one(ep, &addr, &conns[i]) != 0) die("epoll_ctl");

    static const char answer[kAnswer];
    char buf[256];
    struct epoll_event events[kMaxEvents];
    long done = 0;
    const double warm_until = now_s() + 1.0;
    double start = 0, cpu_client0 = 0;
    long done0 = 0;
    double cpu_server0 = 0;
    for (;;) {
        const double t = now_s();
        if (start == 0 && t >= warm_until) {
            start = t;
            done0 = done;
            cpu_client0 = cpu_s(RUSAGE_SELF);
            cpu_server0 = process_cpu_s(server);
        }
        if (start != 0 && t >= start + seconds) break;
        const int n = epoll_wait(ep, events, kMaxEvents, 100);
        for (int i = 0; i < n; ++i) {
            struct conn *c = events[i].data.ptr;
            const ssize_t got = recv(c->fd, buf, sizeof buf, 0);
            if (got <= 0) die("recv");
            if (c->stage == 0) {
                if (send(c->fd, answer, sizeof answer, MSG_NOSIGNAL) != kAnswer) die("send answer");
                c->stage = 1;
            } else {
                close(c->fd);
                ++done;
                if (open_one(ep, &addr, c) != 0) die("epoll_ctl");
            }
        }
    }
    const double elapsed = now_s() - start;
    const double cpu_client = cpu_s(RUSAGE_SELF) - cpu_client0;
    const double cpu_server = process_cpu_s(server) - cpu_server0;
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    unlink(addr.sun_path);
    rmdir(dir);
    const double exchanges = (double)(done - done0);
    printf("{\"clients\": %d, \"server_threads\": %d, \"seconds\": %.2f, \"exchanges\": %.0f, "
           "\"exchanges_per_s\": %.0f, \"server_cpu_us_per_exchange\": %.1f, "
           "\"client_cpu_us_per_exchange\": %.1f}\n",
           clients, server_threads, elapsed, exchanges, exchanges / elapsed, cpu_server / exchanges * 1e6,
           cpu_client / exchanges * 1e6);
    return 0;
}
