/*
 * heapreplay native replayer: replays a replay stream (see harness/real/stream.ts
 * for the format) through the process's real malloc, calloc, realloc, free and
 * posix_memalign (LD_PRELOAD picks the allocator), and prints JSON lines with the
 * real RSS at every mark and at about 2000 sample points.
 *
 *   replay [--touch full|none] [--idle-ms N] [--samples N] STREAM|-
 *
 * Output, one JSON object per line on stdout:
 *   {"type":"start","allocator_version":"2.36","page_size":..,"baseline_rss":..,"baseline_vm":..,"events":..,"slots":..}
 *   {"type":"sample","event":i,"time_ns":..,"rss":..,"vm":..,"live":..}   after event i
 *   {"type":"peak-live","event":i,...}                                   after the peak-live event
 *   {"type":"mark","event":i,"label":"...","time_ns":..,"rss":..,"vm":..,"live":..}
 *   {"type":"fail","event":i,"op":"malloc","size":..}                    and the replay stops
 *   {"type":"end","events":..,"replay_ns":..,"idle_ns":..,"measure_ns":..,"rss":..,"vm":..,"live":..,
 *    "hwm":..,"peak_live":..,"internal_at_peak":..}
 * rss/vm are the whole process's (statm); the TS side subtracts the baseline
 * taken just before the first event, so what is left is what the replay added.
 *
 * The replayer itself must not disturb the heap it measures: it never calls
 * malloc (no stdio streams; its pointer table, input buffer and output buffer
 * are mmapped or static), and it writes user bytes only by the touch policy.
 * Touch policy `full`: one byte in every page of the block and its last byte,
 * which makes the same pages resident as a memset at a fraction of the cost.
 * calloc is never written (fresh kernel pages are zero; calloc clears recycled
 * memory itself), matching the models. realloc writes the whole new block.
 * Threads in the trace are replayed on one thread (a simplification: glibc
 * would give other threads their own arenas).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { OP_MALLOC = 0, OP_CALLOC = 1, OP_REALLOC = 2, OP_MEMALIGN = 3, OP_FREE = 4, OP_MARK = 5 };
static const char *const OP_NAMES[] = {"malloc", "calloc", "realloc", "memalign", "free", "mark"};

#define RECORD_BYTES 32
#define HEADER_BYTES 32
#define MAX_LABEL 4096
#define NO_EVENT 0xffffffffu

/* ---- output: JSON lines through a static buffer and write(2) ---- */

static char out_buf[1 << 16];
static size_t out_len;

static void out_flush(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(1, out_buf + done, out_len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(4);
        }
        done += (size_t)n;
    }
    out_len = 0;
}

static void out_raw(const char *s, size_t n) {
    if (out_len + n > sizeof out_buf) out_flush();
    memcpy(out_buf + out_len, s, n);
    out_len += n;
}

static void out_str(const char *s) { out_raw(s, strlen(s)); }

static void out_u64(uint64_t v) {
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_raw(tmp + i, sizeof tmp - (size_t)i);
}

static void out_i64(int64_t v) {
    if (v < 0) {
        out_raw("-", 1);
        out_u64((uint64_t)(-(v + 1)) + 1);
    } else {
        out_u64((uint64_t)v);
    }
}

/* Labels come from the trace: escape quotes, backslashes and control bytes. */
static void out_json_string(const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    out_raw("\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            out_raw(e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out_raw(e, 6);
        } else {
            out_raw((const char *)&c, 1);
        }
    }
    out_raw("\"", 1);
}

static void out_field(const char *name, uint64_t v) {
    out_raw(",\"", 2);
    out_str(name);
    out_raw("\":", 2);
    out_u64(v);
}

/* ---- errors ---- */

static void die(const char *what) {
    out_flush();
    const char *p = "replay: ";
    if (write(2, p, strlen(p)) < 0 || write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0) _exit(2);
    _exit(2);
}

/* ---- input ---- */

static int in_fd;
static unsigned char in_buf[4096 * RECORD_BYTES];
static size_t in_pos, in_len;

/* Read exactly n bytes; returns 0 at a clean end of input before any byte. */
static int read_bytes(void *dst, size_t n) {
    unsigned char *d = dst;
    size_t got = 0;
    while (got < n) {
        if (in_pos == in_len) {
            ssize_t r = read(in_fd, in_buf, sizeof in_buf);
            if (r < 0) {
                if (errno == EINTR) continue;
                die("read error on the replay stream");
            }
            if (r == 0) {
                if (got == 0) return 0;
                die("the replay stream ends inside a record");
            }
            in_pos = 0;
            in_len = (size_t)r;
        }
        size_t take = in_len - in_pos < n - got ? in_len - in_pos : n - got;
        memcpy(d + got, in_buf + in_pos, take);
        in_pos += take;
        got += take;
    }
    return 1;
}

static uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- measuring ---- */

static long page_size;

/* Resident and virtual bytes of the whole process, from /proc/self/statm. */
static void read_statm(uint64_t *rss, uint64_t *vm) {
    char buf[256];
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0) die("cannot open /proc/self/statm");
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) die("cannot read /proc/self/statm");
    buf[n] = 0;
    uint64_t f[2] = {0, 0};
    int k = 0;
    for (char *p = buf; *p && k < 2; p++) {
        if (*p >= '0' && *p <= '9') f[k] = f[k] * 10 + (uint64_t)(*p - '0');
        else if (*p == ' ') k++;
    }
    *vm = f[0] * (uint64_t)page_size;
    *rss = f[1] * (uint64_t)page_size;
}

/* VmHWM (peak resident set) in bytes, from /proc/self/status. */
static uint64_t read_hwm(void) {
    static char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strstr(buf, "VmHWM:");
    if (!p) return 0;
    uint64_t kb = 0;
    for (p += 6; *p; p++) {
        if (*p >= '0' && *p <= '9') kb = kb * 10 + (uint64_t)(*p - '0');
        else if (kb) break;
    }
    return kb * 1024;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time spent reading /proc and printing, kept out of the reported replay time. */
static uint64_t measure_ns;

static void emit_point(const char *type, uint64_t event, double time_ns, uint64_t live) {
    uint64_t t = now_ns();
    uint64_t rss, vm;
    read_statm(&rss, &vm);
    out_str("{\"type\":\"");
    out_str(type);
    out_raw("\"", 1);
    out_field("event", event);
    out_str(",\"time_ns\":");
    out_i64((int64_t)time_ns);
    out_field("rss", rss);
    out_field("vm", vm);
    out_field("live", live);
    out_raw("}\n", 2);
    measure_ns += now_ns() - t;
}

/* ---- which allocator is serving ---- */

/* The version of the malloc in use: the preloaded library's own version call
   (jemalloc's mallctl, mimalloc's mi_version, tcmalloc's tc_version), else the
   C library's. Looked up at run time, so any of them may be absent. */
static void allocator_version(char *out, size_t n) {
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) = (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    int (*mi_version)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mi_version");
    const char *(*tc_version)(int *, int *, const char **) = (const char *(*)(int *, int *, const char **))dlsym(RTLD_DEFAULT, "tc_version");
    const char *v = NULL;
    size_t sz = sizeof v;
    char tmp[32];
    if (mallctl && mallctl("version", &v, &sz, NULL, 0) == 0 && v) {
        /* "5.3.0-0-g54eaed1d...": keep the release. */
        size_t k = strcspn(v, "-");
        if (k >= n) k = n - 1;
        memcpy(out, v, k);
        out[k] = 0;
        return;
    }
    if (mi_version) {
        int mv = mi_version(); /* 209 = 2.0.9 */
        char *p = tmp + sizeof tmp;
        *--p = 0;
        for (int part = 0; part < 3; part++) {
            int d = part < 2 ? mv % 10 : mv;
            do {
                *--p = (char)('0' + d % 10);
                d /= 10;
            } while (d);
            if (part < 2) *--p = '.';
            mv /= 10;
        }
        v = p;
    } else if (tc_version) {
        int major = 0, minor = 0;
        const char *patch = NULL;
        v = tc_version(&major, &minor, &patch);
        if (v && !strncmp(v, "gperftools ", 11)) v += 11;
    } else {
        v = gnu_get_libc_version();
    }
    if (!v) v = "unknown";
    strncpy(out, v, n - 1);
    out[n - 1] = 0;
}

/* ---- touching user bytes ---- */

static int touch_full = 1;

static void touch(void *p, uint64_t size) {
    if (!touch_full || size == 0) return;
    volatile unsigned char *b = p;
    for (uint64_t off = 0; off < size; off += (uint64_t)page_size) b[off] = 1;
    b[size - 1] = 1;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    uint64_t idle_ms = 0, want_samples = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--touch") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "full")) touch_full = 1;
            else if (!strcmp(v, "none")) touch_full = 0;
            else die("--touch takes full or none");
        } else if (!strcmp(argv[i], "--idle-ms") && i + 1 < argc) {
            idle_ms = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            want_samples = strtoull(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            die("usage: replay [--touch full|none] [--idle-ms N] [--samples N] STREAM|-");
        } else {
            path = argv[i];
        }
    }
    if (!path) die("usage: replay [--touch full|none] [--idle-ms N] [--samples N] STREAM|-");
    page_size = sysconf(_SC_PAGESIZE);
    in_fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
    if (in_fd < 0) die("cannot open the replay stream");

    unsigned char hdr[HEADER_BYTES];
    if (!read_bytes(hdr, HEADER_BYTES) || memcmp(hdr, "HRREPLAY", 8)) die("not a replay stream (bad magic)");
    if (le32(hdr + 8) != 1 || le32(hdr + 12) != RECORD_BYTES) die("unsupported replay stream version");
    uint64_t events = le64(hdr + 16);
    uint64_t slots = le32(hdr + 24);
    uint32_t peak_live_event = le32(hdr + 28);

    /* The pointer table is mmapped so it never comes from the heap under test;
       its pages are touched now, before the baseline, so they are not counted. */
    size_t table_bytes = (size_t)(slots ? slots : 1) * sizeof(void *);
    void **table = mmap(NULL, table_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) die("cannot map the pointer table");
    memset(table, 0, table_bytes);

    uint64_t stride = want_samples ? (events + want_samples - 1) / want_samples : 0;
    if (stride == 0 && want_samples) stride = 1;

    char version[64];
    allocator_version(version, sizeof version);
    uint64_t base_rss, base_vm;
    read_statm(&base_rss, &base_vm);
    out_str("{\"type\":\"start\",\"allocator_version\":");
    out_json_string(version, strlen(version));
    out_field("page_size", (uint64_t)page_size);
    out_field("baseline_rss", base_rss);
    out_field("baseline_vm", base_vm);
    out_field("events", events);
    out_field("slots", slots);
    out_raw("}\n", 2);

    static char label[MAX_LABEL + RECORD_BYTES];
    unsigned char rec[RECORD_BYTES];
    uint64_t live = 0, peak_live = 0, usable = 0, internal_at_peak = 0, idle_ns = 0;
    uint64_t event = 0;
    uint64_t t0 = now_ns();
    while (read_bytes(rec, RECORD_BYTES)) {
        unsigned op = rec[0];
        uint32_t slot = le32(rec + 4);
        uint64_t size = le64(rec + 8);
        uint64_t aux = le64(rec + 16);
        double time_ns;
        memcpy(&time_ns, rec + 24, sizeof time_ns);
        if (op != OP_MARK && slot >= slots) die("slot out of range in the replay stream");
        void *p = NULL;
        int failed = 0;
        switch (op) {
        case OP_MALLOC:
            p = malloc(size);
            if (!p && size) failed = 1;
            else touch(p, size);
            break;
        case OP_CALLOC:
            p = calloc(1, size);
            if (!p && size) failed = 1;
            break;
        case OP_MEMALIGN: {
            size_t align = aux < sizeof(void *) ? sizeof(void *) : aux;
            int rc = posix_memalign(&p, align, size);
            if (rc) failed = 1;
            else touch(p, size);
            break;
        }
        case OP_REALLOC:
            usable -= table[slot] ? malloc_usable_size(table[slot]) : 0;
            live -= aux;
            p = realloc(table[slot], size);
            /* realloc(p, 0) may free p and return NULL: the block is gone and
               a later free of the id frees NULL. Any other NULL is a failure. */
            if (!p && size) failed = 1;
            else touch(p, size);
            break;
        case OP_FREE:
            usable -= table[slot] ? malloc_usable_size(table[slot]) : 0;
            live -= aux;
            free(table[slot]);
            table[slot] = NULL;
            break;
        case OP_MARK: {
            if (aux > MAX_LABEL) die("mark label too long in the replay stream");
            size_t padded = (size_t)((aux + RECORD_BYTES - 1) / RECORD_BYTES * RECORD_BYTES);
            if (padded && !read_bytes(label, padded)) die("the replay stream ends inside a mark label");
            if (idle_ms) {
                uint64_t s = now_ns();
                struct timespec ts = {(time_t)(idle_ms / 1000), (long)(idle_ms % 1000) * 1000000L};
                while (nanosleep(&ts, &ts) && errno == EINTR) {}
                idle_ns += now_ns() - s;
            }
            uint64_t mt = now_ns();
            uint64_t rss, vm;
            read_statm(&rss, &vm);
            out_str("{\"type\":\"mark\"");
            out_field("event", event);
            out_str(",\"label\":");
            out_json_string(label, (size_t)aux);
            out_str(",\"time_ns\":");
            out_i64((int64_t)time_ns);
            out_field("rss", rss);
            out_field("vm", vm);
            out_field("live", live);
            out_raw("}\n", 2);
            measure_ns += now_ns() - mt;
            break;
        }
        default:
            die("unknown op in the replay stream");
        }
        if (failed) {
            out_str("{\"type\":\"fail\"");
            out_field("event", event);
            out_str(",\"op\":\"");
            out_str(OP_NAMES[op]);
            out_raw("\"", 1);
            out_field("size", size);
            out_field("errno", (uint64_t)errno);
            out_raw("}\n", 2);
            break;
        }
        if (op <= OP_MEMALIGN) {
            table[slot] = p;
            live += size;
            usable += p ? malloc_usable_size(p) : 0;
            if (live > peak_live) {
                peak_live = live;
                internal_at_peak = usable - live;
            }
        }
        if (event == peak_live_event) emit_point("peak-live", event, time_ns, live);
        if (stride && (event + 1) % stride == 0) emit_point("sample", event, time_ns, live);
        event++;
    }
    uint64_t replay_ns = now_ns() - t0 - idle_ns - measure_ns;
    uint64_t rss, vm;
    read_statm(&rss, &vm);
    out_str("{\"type\":\"end\"");
    out_field("events", event);
    out_field("replay_ns", replay_ns);
    out_field("idle_ns", idle_ns);
    out_field("measure_ns", measure_ns);
    out_field("rss", rss);
    out_field("vm", vm);
    out_field("live", live);
    out_field("hwm", read_hwm());
    out_field("peak_live", peak_live);
    out_field("internal_at_peak", internal_at_peak);
    out_raw("}\n", 2);
    out_flush();
    return 0;
}
