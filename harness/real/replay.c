/*
 * heapreplay native replayer: replays a replay stream (see harness/real/stream.ts
 * for the format) through the process's real malloc, calloc, realloc, free and
 * posix_memalign (LD_PRELOAD picks the allocator), and prints JSON lines with the
 * real memory at every mark and at about 2000 sample points.
 *
 *   replay [--touch full|none] [--idle-ms N] [--samples N] STREAM|-
 *
 * Output, one JSON object per line on stdout:
 *   {"type":"start","rss_measure":"anon","page_size":..,"baseline_rss":..,"baseline_vm":..,
 *    "baseline_resident":..,"events":..,"slots":..}
 *   {"type":"sample","event":i,"time_ns":..,"rss":..,"vm":..,"live":..}   after event i
 *   {"type":"peak-live","event":i,...}                                   after the peak-live event
 *   {"type":"mark","event":i,"label":"...","time_ns":..,"rss":..,"vm":..,"live":..}
 *   {"type":"fail","event":i,"op":"malloc","size":..}                    and the replay stops
 *   {"type":"end","allocator_version":"2.36","events":..,"replay_ns":..,"idle_ns":..,"measure_ns":..,
 *    "user_ns":..,"sys_ns":..,"rss":..,"vm":..,"live":..,"hwm":..,"hwm_resident":..,"peak_live":..,
 *    "internal_at_peak":..}
 *
 * What is measured (rss_measure "anon"): the process's anonymous resident
 * memory, resident - shared from /proc/self/statm (= RssAnon), because that is
 * all an allocator adds and all the models count. Whole-process resident memory
 * also grows by the shared-library code pages the replay first executes, which
 * is noise of up to tens of KiB. vm is the whole address space. The TS side
 * subtracts the baseline, so what is left is what the replay added.
 *
 * The baseline is taken in .preinit_array, which the dynamic linker runs before
 * any library's constructor: before the preloaded allocator initialises (jemalloc
 * does so in a constructor), so the allocator's start-up memory counts as replay
 * memory, as it does in the models. The allocator's version is asked for only
 * after the replay, for the same reason (even a failed dlsym allocates).
 *
 * The replayer itself must not disturb the heap it measures, nor its own
 * numbers: it never calls malloc (no stdio streams), and everything it owns is
 * set up and written before the baseline, in the same preinit step: the stream
 * is opened and its header read, the pointer table mmapped and cleared, its own
 * writable data (the input, output and label buffers, every scalar), that of
 * the C library and the other libraries (their start-up runs after the
 * baseline), and 128 KiB of stack written once, so none of these pages is
 * first faulted in during the replay. User bytes are written only by the touch
 * policy.
 * Touch policy `full`: one byte in every page of the block and its last byte,
 * which makes the same pages resident as a memset at a fraction of the cost.
 * calloc is never written (fresh kernel pages are zero; calloc clears recycled
 * memory itself), matching the models. realloc touches the whole new block.
 * Threads in the trace are replayed on one thread (a simplification: glibc
 * would give other threads their own arenas).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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
static int statm_fd = -1;

/* One reading of /proc/self/statm, in bytes: anonymous resident (resident -
   shared, the measure every rss field carries), whole resident, and virtual. */
struct mem {
    uint64_t anon, resident, vm;
};

static struct mem read_mem(void) {
    char buf[256];
    /* The file stays open: pread at offset 0 regenerates it, one syscall a reading. */
    ssize_t n;
    while ((n = pread(statm_fd, buf, sizeof buf - 1, 0)) < 0 && errno == EINTR) {}
    if (n <= 0) die("cannot read /proc/self/statm");
    buf[n] = 0;
    uint64_t f[3] = {0, 0, 0};
    int k = 0;
    for (char *p = buf; *p && k < 3; p++) {
        if (*p >= '0' && *p <= '9') f[k] = f[k] * 10 + (uint64_t)(*p - '0');
        else if (*p == ' ') k++;
    }
    uint64_t ps = (uint64_t)page_size;
    struct mem m = {f[1] >= f[2] ? (f[1] - f[2]) * ps : 0, f[1] * ps, f[0] * ps};
    return m;
}

/* VmHWM (peak resident set, whole process) in bytes, from /proc/self/status. */
static char status_buf[8192];

static uint64_t read_hwm(void) {
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, status_buf, sizeof status_buf - 1);
    close(fd);
    if (n <= 0) return 0;
    status_buf[n] = 0;
    char *p = strstr(status_buf, "VmHWM:");
    if (!p) return 0;
    uint64_t kb = 0;
    for (p += 6; *p; p++) {
        if (*p >= '0' && *p <= '9') kb = kb * 10 + (uint64_t)(*p - '0');
        else if (kb) break;
    }
    return kb * 1024;
}

/* The process's user and system CPU so far (getrusage): over the replay, the
   user part is the allocator's own work plus this loop's, the system part
   mostly the page faults and the trimming and purging the allocator asks of
   the kernel. The models do the first in JavaScript and stand in for the second. */
static void cpu_ns(uint64_t *user, uint64_t *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u;
    *sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time spent reading /proc and printing, kept out of the reported replay time. */
static uint64_t measure_ns;

static void out_point_fields(double time_ns, uint64_t live) {
    struct mem m = read_mem();
    out_str(",\"time_ns\":");
    out_i64((int64_t)time_ns);
    out_field("rss", m.anon);
    out_field("vm", m.vm);
    out_field("live", live);
    out_raw("}\n", 2);
}

static void emit_point(const char *type, uint64_t event, double time_ns, uint64_t live) {
    uint64_t t = now_ns();
    out_str("{\"type\":\"");
    out_str(type);
    out_raw("\"", 1);
    out_field("event", event);
    out_point_fields(time_ns, live);
    measure_ns += now_ns() - t;
}

/* ---- which allocator is serving ---- */

/* The version of the malloc in use: the preloaded library's own version call
   (jemalloc's mallctl, mimalloc's mi_version, tcmalloc's tc_version), else the
   C library's. Looked up at run time, so any of them may be absent. Called only
   after the replay: the lookups call into the allocator. */
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

/* ---- set-up, before any library initialises ---- */

#define STACK_PREFAULT (128 * 1024)

/* What set-up leaves for main. */
static uint64_t events, slots, stride;
static uint32_t peak_live_event;
static uint64_t idle_ms;
static void **table;
static struct mem baseline;
static int setup_done;
static char label[MAX_LABEL + RECORD_BYTES];

/* Rewrite one byte in every page with its own value, so each page is resident
   and private before the baseline without changing what it holds (a read
   alone would map the shared zero page, which a later write replaces). */
static void prefault(void *p, size_t n) {
    volatile unsigned char *b = p;
    for (size_t off = 0; off < n; off += (size_t)page_size) b[off] = b[off];
    if (n) b[n - 1] = b[n - 1];
}

/* The linker's bounds of this program's writable data: .data, then .bss with
   the static buffers and every scalar the replay writes. */
extern char __data_start[], _end[];

struct code_addresses {
    uintptr_t malloc_fn, libc_fn;
};

/* The C library's and the dynamic linker's start-up (which runs after the
   baseline) writes to their own .data and .bss: pages that a read had left on
   the shared zero page, or file pages not yet copied, would then count as
   replay memory (4 KiB with glibc 2.36; libstdc++'s start-up, which jemalloc
   pulls in, writes more). So every loaded object's writable segment is made
   private now, except the preloaded allocator's own: its start-up is part of
   what the replay measures. RELRO is read-only by now and is skipped. */

static int prefault_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    const struct code_addresses *code = data;
    uintptr_t relro_lo = 0, relro_hi = 0, page = (uintptr_t)page_size;
    int has_malloc = 0, is_libc = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type == PT_LOAD) {
            if (code->malloc_fn >= lo && code->malloc_fn < hi) has_malloc = 1;
            if (code->libc_fn >= lo && code->libc_fn < hi) is_libc = 1;
        }
        if (ph->p_type == PT_GNU_RELRO) {
            relro_lo = lo & ~(page - 1);
            relro_hi = hi & ~(page - 1); /* ld.so protects whole pages only */
        }
    }
    if (has_malloc && !is_libc) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (lo < relro_hi && hi > relro_lo) lo = relro_hi > lo ? relro_hi : lo;
        if (hi > lo) prefault((void *)lo, hi - lo);
    }
    return 0;
}

/* The replay's deepest calls (emit_point, read_mem, the allocator's own
   frames) run on stack below main's frame: write a generous stretch of it now,
   so the kernel does not grow the stack mapping during the replay. */
static __attribute__((noinline)) void prefault_stack(void) {
    volatile unsigned char pad[STACK_PREFAULT];
    for (size_t off = 0; off < sizeof pad; off += 1024) pad[off] = 0;
    pad[sizeof pad - 1] = 0;
}

static void setup(int argc, char **argv, char **envp) {
    (void)envp;
    const char *path = NULL;
    uint64_t want_samples = 2000;
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
    statm_fd = open("/proc/self/statm", O_RDONLY);
    if (statm_fd < 0) die("cannot open /proc/self/statm");
    in_fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
    if (in_fd < 0) die("cannot open the replay stream");

    prefault_stack();

    unsigned char hdr[HEADER_BYTES];
    if (!read_bytes(hdr, HEADER_BYTES) || memcmp(hdr, "HRREPLAY", 8)) die("not a replay stream (bad magic)");
    if (le32(hdr + 8) != 1 || le32(hdr + 12) != RECORD_BYTES) die("unsupported replay stream version");
    events = le64(hdr + 16);
    slots = le32(hdr + 24);
    peak_live_event = le32(hdr + 28);

    /* The pointer table is mmapped so it never comes from the heap under test.
       No huge pages: its mapping stays apart from the allocator's (no VMA
       merge) and khugepaged never fills it out during the replay. */
    size_t table_bytes = (size_t)(slots ? slots : 1) * sizeof(void *);
    table = mmap(NULL, table_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) die("cannot map the pointer table");
    madvise(table, table_bytes, MADV_NOHUGEPAGE);
    memset(table, 0, table_bytes);

    stride = want_samples ? (events + want_samples - 1) / want_samples : 0;
    if (stride == 0 && want_samples) stride = 1;

    /* Last, so that no page is first written after the reading: the input,
       output, label and /proc buffers, and the scalars, baseline included. */
    setup_done = 1;
    prefault(__data_start, (size_t)(_end - __data_start));
    struct code_addresses code = {(uintptr_t)malloc, (uintptr_t)gnu_get_libc_version};
    dl_iterate_phdr(prefault_object, &code);
    baseline = read_mem();
}

/* glibc runs .preinit_array with (argc, argv, envp) before the initialisers of
   every shared object, the preloaded allocator's included. */
__attribute__((section(".preinit_array"), used)) static void (*const run_setup_first)(int, char **, char **) = setup;

int main(void) {
    if (!setup_done) die("internal error: the .preinit_array set-up did not run");
    out_str("{\"type\":\"start\",\"rss_measure\":\"anon\"");
    out_field("page_size", (uint64_t)page_size);
    out_field("baseline_rss", baseline.anon);
    out_field("baseline_vm", baseline.vm);
    out_field("baseline_resident", baseline.resident);
    out_field("events", events);
    out_field("slots", slots);
    out_raw("}\n", 2);

    unsigned char rec[RECORD_BYTES];
    uint64_t live = 0, peak_live = 0, usable = 0, internal_at_peak = 0, idle_ns = 0;
    uint64_t event = 0;
    uint64_t user0, sys0;
    cpu_ns(&user0, &sys0);
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
            out_str("{\"type\":\"mark\"");
            out_field("event", event);
            out_str(",\"label\":");
            out_json_string(label, (size_t)aux);
            out_point_fields(time_ns, live);
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
    uint64_t user1, sys1;
    cpu_ns(&user1, &sys1);
    struct mem end = read_mem();
    /* VmHWM is whole-process resident memory. Shared pages only accumulate in a
       run this short, so the peak's share of them is at most the final count,
       and VmHWM - final shared is a lower bound on the anonymous peak: one the
       samples, which can miss a peak between two of them, are checked against. */
    uint64_t hwm = read_hwm();
    uint64_t shared = end.resident - end.anon;
    char version[64];
    allocator_version(version, sizeof version);
    out_str("{\"type\":\"end\",\"allocator_version\":");
    out_json_string(version, strlen(version));
    out_field("events", event);
    out_field("replay_ns", replay_ns);
    out_field("idle_ns", idle_ns);
    out_field("measure_ns", measure_ns);
    out_field("user_ns", user1 - user0);
    out_field("sys_ns", sys1 - sys0);
    out_field("rss", end.anon);
    out_field("vm", end.vm);
    out_field("live", live);
    out_field("hwm", hwm > shared ? hwm - shared : 0);
    out_field("hwm_resident", hwm);
    out_field("peak_live", peak_live);
    out_field("internal_at_peak", internal_at_peak);
    out_raw("}\n", 2);
    out_flush();
    return 0;
}
