/* Issue 29's C floor: the machine's limit for PluginIpc's process model. The parent forks a child; two pipes; frames are a
 * 4-byte little-endian length and a payload; the child echoes every complete frame it has read with one write; both ends use
 * blocking read and write. The parent runs the same phases as the .NET harness and prints one line of key=value results.
 * Usage: floor warmup_s seq_samples seq_calls inflight_samples inflight_batches e64k_samples e64k_n e1m_samples e1m_n idle_s pipe_bytes echo_warmup_s
 * (pipe_bytes: F_SETPIPE_SZ on both pipes, as PluginIpc does; 0 keeps the default) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int to_child, from_child;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; perror("write"); exit(2); }
        p += w; n -= (size_t)w;
    }
}

static void read_exact(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) { if (errno == EINTR) continue; perror("read"); exit(2); }
        if (r == 0) { fprintf(stderr, "floor: unexpected end\n"); exit(2); }
        p += r; n -= (size_t)r;
    }
}

static uint32_t le32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }

static int child_loop(int in, int out) {
    size_t cap = 64 * 1024, have = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        ssize_t r = read(in, buf + have, cap - have);
        if (r < 0) { if (errno == EINTR) continue; return 2; }
        if (r == 0) return 0;
        have += (size_t)r;
        size_t end = 0;
        while (have - end >= 4) {
            size_t len = le32(buf + end);
            if (have - end < 4 + len) {
                if (4 + len > cap) { cap = 4 + len; buf = realloc(buf, cap); }
                break;
            }
            end += 4 + len;
        }
        if (end > 0) {
            write_all(out, buf, end);
            memmove(buf, buf + end, have - end);
            have -= end;
        }
    }
}

static uint8_t *answer;
static uint8_t rbuf[64 * 1024];
static size_t rstart, rend;

/* Reads one answer into answer: from what one read brought in, else straight from the pipe (as the .NET floor does). */
static void read_answer(void) {
    if (rend - rstart < 4) {
        memmove(rbuf, rbuf + rstart, rend - rstart);
        rend -= rstart; rstart = 0;
        while (rend < 4) {
            ssize_t r = read(from_child, rbuf + rend, sizeof rbuf - rend);
            if (r < 0) { if (errno == EINTR) continue; perror("read"); exit(2); }
            if (r == 0) { fprintf(stderr, "floor: unexpected end\n"); exit(2); }
            rend += (size_t)r;
        }
    }
    size_t len = le32(rbuf + rstart);
    rstart += 4;
    size_t buffered = len < rend - rstart ? len : rend - rstart;
    memcpy(answer, rbuf + rstart, buffered);
    rstart += buffered;
    if (buffered < len) read_exact(from_child, answer + buffered, len - buffered);
}

static void call_read(size_t n_frames) { for (size_t i = 0; i < n_frames; i++) read_answer(); }

static uint8_t *frame64, *batch64, *frame64k, *frame1m;

static uint8_t *make_frame(size_t len) {
    uint8_t *f = calloc(1, 4 + len);
    f[0] = len & 0xff; f[1] = (len >> 8) & 0xff; f[2] = (len >> 16) & 0xff; f[3] = (len >> 24) & 0xff;
    return f;
}

static void round_trips(int n) { for (int i = 0; i < n; i++) { write_all(to_child, frame64, 68); call_read(1); } }
static void in_flight(int batches) { for (int i = 0; i < batches; i++) { write_all(to_child, batch64, 64 * 68); call_read(64); } }
static void echo(const uint8_t *f, size_t len, int n) { for (int i = 0; i < n; i++) { write_all(to_child, f, 4 + len); call_read(1); } }

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { qsort(v, n, sizeof *v, cmp); return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2; }

/* CPU seconds a single-threaded process ran (/proc/pid/schedstat, ns), and its context switches. */
static double cpu_s(pid_t pid) {
    char path[64];
    unsigned long long ns = 0;
    snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
    FILE *f = fopen(path, "r");
    if (f) { if (fscanf(f, "%llu", &ns) != 1) ns = 0; fclose(f); }
    return ns / 1e9;
}

/* the same from /proc/pid/stat (10 ms ticks), kept for reference */
static double cpu_ticks_s(pid_t pid) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strrchr(text, ')') + 2;
    unsigned long ut = 0, st = 0;
    for (int field = 3; field <= 15 && p; field++) {
        if (field == 14) ut = strtoul(p, NULL, 10);
        if (field == 15) st = strtoul(p, NULL, 10);
        p = strchr(p, ' ');
        if (p) p++;
    }
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static long ctx_switches(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long total = 0, v;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 || sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1) total += v;
    fclose(f);
    return total;
}

int main(int argc, char **argv) {
    if (argc != 13) { fprintf(stderr, "usage: floor warmup_s seq_samples seq_calls inflight_samples inflight_batches e64k_samples e64k_n e1m_samples e1m_n idle_s pipe_bytes echo_warmup_s\n"); return 1; }
    double warmup = atof(argv[1]);
    int seq_samples = atoi(argv[2]), seq_calls = atoi(argv[3]), if_samples = atoi(argv[4]), if_batches = atoi(argv[5]);
    int e64_samples = atoi(argv[6]), e64_n = atoi(argv[7]), e1m_samples = atoi(argv[8]), e1m_n = atoi(argv[9]);
    double idle = atof(argv[10]);
    int down[2], up[2];
    if (pipe(down) || pipe(up)) { perror("pipe"); return 2; }
    int pipe_bytes = atoi(argv[11]);
    double echo_warmup = atof(argv[12]); /* each echo size echoes this long before its samples, as the .NET targets do */
    if (pipe_bytes > 0 && (fcntl(down[1], F_SETPIPE_SZ, pipe_bytes) < 0 || fcntl(up[0], F_SETPIPE_SZ, pipe_bytes) < 0)) { perror("F_SETPIPE_SZ"); return 2; }
    pid_t pid = fork();
    if (pid == 0) { close(down[1]); close(up[0]); return child_loop(down[0], up[1]); }
    close(down[0]); close(up[1]);
    to_child = down[1]; from_child = up[0];
    answer = malloc(1024 * 1024 + 4);
    frame64 = make_frame(64); frame64k = make_frame(64 * 1024); frame1m = make_frame(1024 * 1024);
    batch64 = malloc(64 * 68);
    for (int i = 0; i < 64; i++) memcpy(batch64 + i * 68, frame64, 68);

    double start = now_s();
    while (now_s() - start < warmup) { round_trips(1000); in_flight(20); echo(frame64k, 64 * 1024, 5); echo(frame1m, 1024 * 1024, 1); }

    pid_t self = getpid();
    double *v = malloc(sizeof(double) * (seq_samples + if_samples + e64_samples + e1m_samples + 4));
    double host0 = cpu_s(self), child0 = cpu_s(pid);
    long cs0 = ctx_switches(self) + ctx_switches(pid);
    for (int s = 0; s < seq_samples; s++) { double t = now_s(); round_trips(seq_calls); v[s] = (now_s() - t) * 1e6 / seq_calls; }
    double host1 = cpu_s(self), child1 = cpu_s(pid);
    long cs1 = ctx_switches(self) + ctx_switches(pid);
    double calls = (double)seq_samples * seq_calls;
    double rt = median(v, seq_samples), p10 = v[seq_samples / 10], p90 = v[seq_samples * 9 / 10];

    double ihost0 = cpu_s(self), ichild0 = cpu_s(pid);
    for (int s = 0; s < if_samples; s++) { double t = now_s(); in_flight(if_batches); v[s] = 64.0 * if_batches / (now_s() - t); }
    double ihost1 = cpu_s(self), ichild1 = cpu_s(pid);
    double inflight = median(v, if_samples);
    double icalls = 64.0 * if_samples * if_batches;

    for (double w = now_s(); now_s() - w < echo_warmup;) echo(frame64k, 64 * 1024, 1);
    for (int s = 0; s < e64_samples; s++) { double t = now_s(); echo(frame64k, 64 * 1024, e64_n); v[s] = 65536.0 * e64_n / (now_s() - t) / 1e6; }
    double mb64 = median(v, e64_samples);
    for (double w = now_s(); now_s() - w < echo_warmup;) echo(frame1m, 1024 * 1024, 1);
    for (int s = 0; s < e1m_samples; s++) { double t = now_s(); echo(frame1m, 1024 * 1024, e1m_n); v[s] = 1048576.0 * e1m_n / (now_s() - t) / 1e6; }
    double mb1m = median(v, e1m_samples);

    struct timespec settle = { 1, 0 };
    nanosleep(&settle, NULL);
    double idle_h0 = cpu_s(self), idle_c0 = cpu_s(pid);
    struct timespec nap = { (time_t)idle, (long)((idle - (time_t)idle) * 1e9) };
    nanosleep(&nap, NULL);
    double idle_h = (cpu_s(self) - idle_h0) * 1e3 / idle, idle_c = (cpu_s(pid) - idle_c0) * 1e3 / idle;

    printf("RESULT rt64_us=%.3f rt64_p10=%.3f rt64_p90=%.3f inflight_cps=%.0f mbs64k=%.1f mbs1m=%.1f cpu_host_us=%.3f cpu_child_us=%.3f "
           "cpu_if_host_us=%.3f cpu_if_child_us=%.3f ctxsw_per_call=%.2f idle_host_ms_s=%.2f idle_child_ms_s=%.2f\n",
           rt, p10, p90, inflight, mb64, mb1m, (host1 - host0) * 1e6 / calls, (child1 - child0) * 1e6 / calls,
           (ihost1 - ihost0) * 1e6 / icalls, (ichild1 - ichild0) * 1e6 / icalls, (double)(cs1 - cs0) / calls, idle_h, idle_c);
    fflush(stdout);
    (void)cpu_ticks_s;
    close(to_child);
    int status;
    waitpid(pid, &status, 0);
    return 0;
}
