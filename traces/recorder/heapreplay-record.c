/*
 * heapreplay recorder: an LD_PRELOAD shim that writes every malloc, calloc,
 * realloc, free, memalign, posix_memalign, aligned_alloc, valloc and pvalloc of
 * a program as trace format v1 CSV, with marks the program drops by calling
 *     void heapreplay_mark(const char *label);
 * (Python: ctypes.CDLL(None).heapreplay_mark(b"After del")).
 *
 * Environment: HEAPREPLAY_RECORD_DIR names a directory; without it the shim
 * only passes calls through. Each process image writes its own file there,
 * raw-<pid>-<n>.csv (n tells apart the images of one pid across exec), so a
 * command that forks or execs (a shell shim that execs python3) never mixes
 * two processes in one file; `heapreplay record` keeps the last image of the
 * process it started.
 *
 * Ids are the block's address in hex when first allocated. realloc keeps the id
 * while the address changes, so the shim maps current address -> id. A new block
 * at an address whose plain id is still live (the block it named moved away)
 * gets the id "<addr>.<n>" instead, so an id is never reused while live.
 * free(NULL) and failed allocations are not recorded; frees and reallocs of
 * addresses the shim never saw allocated are counted and left out (realloc of
 * such a block is recorded as a malloc of the new one). The counts go into a
 * closing "# recorder: ..." comment.
 *
 * Safety: one mutex guards the table and the output buffer. A thread-local
 * guard passes calls made while the shim is working (or by the real allocator
 * itself) straight through. dlsym may allocate before the real functions are
 * known: those requests come from a static buffer and are never freed. The
 * shim itself never calls malloc: its tables are mmapped, its output is
 * formatted by hand into a static buffer and written with write(2) when the
 * buffer fills and at exit (destructor, or _exit/_Exit, which it wraps).
 * Events after the exit-time flush (other destructors freeing memory) are
 * written at once. A process killed by a signal loses its unflushed tail.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TLS __attribute__((tls_model("initial-exec"))) __thread
#define EXPORT __attribute__((visibility("default")))

/* ---- the real functions ---- */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static void *(*real_memalign)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static int init_state; /* 0 not started, 1 resolving, 2 ready */
static TLS int initializing_here;
static TLS int in_hook;
static TLS unsigned thread_no; /* 1-based once assigned */
static unsigned thread_counter;
static int recording;
static char record_dir[3072];
static uint64_t start_ns;
static long page_size = 4096;

/* Requests made while dlsym runs, served without any allocator. */
static _Alignas(64) char boot_buf[1 << 16];
static size_t boot_used;

static int in_boot(const void *p) { return (const char *)p >= boot_buf && (const char *)p < boot_buf + sizeof boot_buf; }

static void *boot_alloc(size_t n, size_t align) {
    if (align < 16) align = 16;
    size_t at = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
    for (;;) {
        size_t start = (at + align - 1) & ~(align - 1);
        if (start + n > sizeof boot_buf) return NULL;
        if (__atomic_compare_exchange_n(&boot_used, &at, start + n, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return boot_buf + start;
    }
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void prepare_fork(void);
static void after_fork_parent(void);
static void after_fork_child(void);

static void resolve(void) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* Another thread resolves: wait for it (this thread holds no lock). */
        while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2) sched_yield();
        return;
    }
    initializing_here = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_valloc = dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    const char *dir = getenv("HEAPREPLAY_RECORD_DIR");
    if (dir && *dir && strlen(dir) < sizeof record_dir - 64) {
        strcpy(record_dir, dir);
        recording = 1;
    }
    long ps = sysconf(_SC_PAGESIZE);
    if (ps > 0) page_size = ps;
    start_ns = now_ns();
    pthread_atfork(prepare_fork, after_fork_parent, after_fork_child);
    initializing_here = 0;
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

/* True when the real functions are known; false while this thread resolves them. */
static int ready(void) {
    if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2) return 1;
    if (initializing_here) return 0;
    resolve();
    return __atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2;
}

/* ---- address tables: open addressing, linear probing, mmapped ---- */

struct entry {
    uint64_t key;    /* 0 = empty */
    uint64_t base;   /* the id's address */
    uint64_t suffix; /* 0 = plain id */
};

struct table {
    struct entry *slots;
    uint64_t cap; /* power of two */
    uint64_t count;
};

static struct table by_addr;    /* current address -> id */
static struct table live_plain; /* addresses whose plain id is live */

/* Fibonacci hashing: the top bits of the product mix every bit of the key
   (addresses share their high bits and are 16-byte aligned). */
static uint64_t hash_of(uint64_t key, uint64_t cap) { return (key * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctzll(cap)); }

static struct entry *find(struct table *t, uint64_t key) {
    if (!t->cap) return NULL;
    for (uint64_t i = hash_of(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].key == key) return &t->slots[i];
        if (!t->slots[i].key) return NULL;
    }
}

static int grow(struct table *t) {
    uint64_t cap = t->cap ? t->cap * 2 : 1 << 14;
    struct entry *slots = mmap(NULL, cap * sizeof *slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) return 0;
    for (uint64_t j = 0; j < t->cap; j++) {
        if (!t->slots[j].key) continue;
        uint64_t i = hash_of(t->slots[j].key, cap);
        while (slots[i].key) i = (i + 1) & (cap - 1);
        slots[i] = t->slots[j];
    }
    if (t->slots) munmap(t->slots, t->cap * sizeof *t->slots);
    t->slots = slots;
    t->cap = cap;
    return 1;
}

static void put(struct table *t, uint64_t key, uint64_t base, uint64_t suffix) {
    if ((t->count + 1) * 2 > t->cap && !grow(t)) return;
    uint64_t i = hash_of(key, t->cap);
    while (t->slots[i].key && t->slots[i].key != key) i = (i + 1) & (t->cap - 1);
    if (!t->slots[i].key) t->count++;
    t->slots[i] = (struct entry){key, base, suffix};
}

/* Delete with backward shift, so probe chains stay unbroken without tombstones. */
static void del(struct table *t, struct entry *e) {
    uint64_t i = (uint64_t)(e - t->slots), mask = t->cap - 1;
    t->slots[i].key = 0;
    t->count--;
    for (uint64_t j = (i + 1) & mask; t->slots[j].key; j = (j + 1) & mask) {
        uint64_t home = hash_of(t->slots[j].key, t->cap);
        /* Move j into the hole at i when its home is not in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            t->slots[j].key = 0;
            i = j;
        }
    }
}

/* ---- output ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char out_buf[1 << 20];
static size_t out_len;
static int out_fd = -1;
static int finished;
static uint64_t image_no;
static uint64_t suffix_counter;
static uint64_t unknown_frees, unknown_reallocs, missed_frees;

static size_t fmt_u64(char *d, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) d[i] = tmp[n - 1 - i];
    return (size_t)n;
}

static size_t fmt_hex(char *d, uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    d[0] = '0';
    d[1] = 'x';
    for (int i = 0; i < n; i++) d[2 + i] = tmp[n - 1 - i];
    return (size_t)n + 2;
}

static size_t fmt_str(char *d, const char *s) {
    size_t n = strlen(s);
    memcpy(d, s, n);
    return n;
}

static void write_all(const char *p, size_t n) {
    while (n) {
        ssize_t w = write(out_fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return; /* nowhere to report: the trace will be short, record.ts sees it */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Open this image's file and write the trace header (lock held). */
static void open_output(void) {
    char path[sizeof record_dir + 64];
    size_t n = fmt_str(path, record_dir);
    n += fmt_str(path + n, "/raw-");
    n += fmt_u64(path + n, (uint64_t)getpid());
    path[n++] = '-';
    n += fmt_u64(path + n, image_no);
    n += fmt_str(path + n, ".csv");
    path[n] = 0;
    out_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        recording = 0;
        return;
    }
    char head[4096 + 256];
    size_t h = fmt_str(head, "# heapreplay-trace v1\n# source: heapreplay record\n# pid: ");
    h += fmt_u64(head + h, (uint64_t)getpid());
    h += fmt_str(head + h, "\n# exe: ");
    ssize_t e = readlink("/proc/self/exe", head + h, 4096);
    if (e > 0) {
        for (ssize_t i = 0; i < e; i++)
            if (head[h + (size_t)i] == '\n') head[h + (size_t)i] = ' ';
        h += (size_t)e;
    }
    h += fmt_str(head + h, "\nop,id,size,align,thread,time_ns,label\n");
    write_all(head, h);
}

static void flush_locked(void) {
    if (!out_len) return;
    if (out_fd < 0) open_output();
    if (out_fd >= 0) write_all(out_buf, out_len);
    out_len = 0;
}

/* Room for one row; labels are capped so a row always fits. */
#define MAX_LABEL 4000
#define ROW_MAX (2 * MAX_LABEL + 256)

static char *row_start(void) {
    if (out_len + ROW_MAX > sizeof out_buf) flush_locked();
    return out_buf + out_len;
}

static void row_end(size_t n) {
    out_len += n;
    if (finished) flush_locked();
}

static unsigned this_thread(void) {
    if (!thread_no) thread_no = __atomic_add_fetch(&thread_counter, 1, __ATOMIC_RELAXED);
    return thread_no - 1;
}

static size_t fmt_id(char *d, uint64_t base, uint64_t suffix) {
    size_t n = fmt_hex(d, base);
    if (suffix) {
        d[n++] = '.';
        n += fmt_u64(d + n, suffix);
    }
    return n;
}

/* op,id,size,align,thread,time_ns,label (lock held). */
static void write_event(const char *op, uint64_t base, uint64_t suffix, int has_size, uint64_t size, uint64_t align) {
    char *d = row_start();
    size_t n = fmt_str(d, op);
    d[n++] = ',';
    n += fmt_id(d + n, base, suffix);
    d[n++] = ',';
    if (has_size) n += fmt_u64(d + n, size);
    d[n++] = ',';
    if (align) n += fmt_u64(d + n, align);
    d[n++] = ',';
    unsigned t = this_thread();
    if (t) n += fmt_u64(d + n, t);
    d[n++] = ',';
    n += fmt_u64(d + n, now_ns() - start_ns);
    d[n++] = ',';
    d[n++] = '\n';
    row_end(n);
}

/* A new block at p: give it an id and write its row (lock held). */
static void on_alloc(const char *op, void *p, uint64_t size, uint64_t align) {
    uint64_t a = (uint64_t)(uintptr_t)p;
    struct entry *stale = find(&by_addr, a);
    if (stale) {
        /* The block at p was freed by a path the shim does not see: close its id. */
        missed_frees++;
        write_event("free", stale->base, stale->suffix, 0, 0, 0);
        if (!stale->suffix) {
            struct entry *pl = find(&live_plain, stale->base);
            if (pl) del(&live_plain, pl);
        }
        del(&by_addr, find(&by_addr, a));
    }
    uint64_t suffix = 0;
    if (find(&live_plain, a)) suffix = ++suffix_counter;
    else put(&live_plain, a, a, 0);
    put(&by_addr, a, a, suffix);
    write_event(op, a, suffix, 1, size, align);
}

/* The block at p goes away: write its free row (lock held). Returns 0 if unknown. */
static int on_free(void *p) {
    struct entry *e = find(&by_addr, (uint64_t)(uintptr_t)p);
    if (!e) return 0;
    uint64_t base = e->base, suffix = e->suffix;
    del(&by_addr, e);
    if (!suffix) {
        struct entry *pl = find(&live_plain, base);
        if (pl) del(&live_plain, pl);
    }
    write_event("free", base, suffix, 0, 0, 0);
    return 1;
}

static void record_alloc(const char *op, void *p, size_t size, size_t align) {
    if (!p) return;
    pthread_mutex_lock(&lock);
    if (recording) on_alloc(op, p, size, align);
    pthread_mutex_unlock(&lock);
}

static void prepare_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_child(void) {
    /* The parent writes what it buffered; the child starts its own file. */
    out_len = 0;
    out_fd = -1;
    image_no = now_ns();
    pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void recorder_start(void) {
    if (!ready()) return;
    image_no = now_ns();
}

__attribute__((destructor)) static void recorder_stop(void) {
    pthread_mutex_lock(&lock);
    if (recording && !finished) {
        char *d = row_start();
        size_t n = fmt_str(d, "# recorder: unknown-frees=");
        n += fmt_u64(d + n, unknown_frees);
        n += fmt_str(d + n, " unknown-reallocs=");
        n += fmt_u64(d + n, unknown_reallocs);
        n += fmt_str(d + n, " missed-frees=");
        n += fmt_u64(d + n, missed_frees);
        d[n++] = '\n';
        out_len += n;
        flush_locked();
        finished = 1;
    }
    pthread_mutex_unlock(&lock);
}

/* Programs that end with _exit (dash does) skip destructors: flush first.
   exit() reaches the kernel through libc's internal _exit, not this one. */
static void end_process(int status) __attribute__((noreturn));
static void end_process(int status) {
    recorder_stop();
    syscall(SYS_exit_group, status);
    for (;;) {}
}

EXPORT void _exit(int status) { end_process(status); }
EXPORT void _Exit(int status) { end_process(status); }

/* ---- the interposed functions ---- */

EXPORT void *malloc(size_t n) {
    if (!ready()) return boot_alloc(n, 16);
    if (in_hook || !recording) return real_malloc(n);
    in_hook = 1;
    void *p = real_malloc(n);
    record_alloc("malloc", p, n, 0);
    in_hook = 0;
    return p;
}

EXPORT void *calloc(size_t count, size_t size) {
    if (!ready()) {
        size_t n;
        if (__builtin_mul_overflow(count, size, &n)) return NULL;
        return boot_alloc(n, 16); /* static memory is already zero */
    }
    if (in_hook || !recording) return real_calloc(count, size);
    in_hook = 1;
    void *p = real_calloc(count, size);
    record_alloc("calloc", p, count * size, 0);
    in_hook = 0;
    return p;
}

EXPORT void free(void *p) {
    if (!p || in_boot(p)) return;
    if (!ready() || in_hook || !recording) {
        if (real_free) real_free(p);
        return;
    }
    in_hook = 1;
    /* Write the free before the memory is released: another thread that gets
       the same address back then writes its malloc after this free. */
    pthread_mutex_lock(&lock);
    if (recording && !on_free(p)) unknown_frees++;
    pthread_mutex_unlock(&lock);
    real_free(p);
    in_hook = 0;
}

EXPORT void *realloc(void *p, size_t n) {
    if (!ready()) {
        void *q = boot_alloc(n, 16);
        if (q && p) memcpy(q, p, n < (size_t)(boot_buf + sizeof boot_buf - (char *)p) ? n : (size_t)(boot_buf + sizeof boot_buf - (char *)p));
        return q;
    }
    if (p && in_boot(p)) {
        /* A block from the bootstrap buffer: move it to the real heap (its size
           is unknown, so copy what can be there). */
        void *q = malloc(n);
        if (q) {
            size_t room = (size_t)(boot_buf + sizeof boot_buf - (char *)p);
            memcpy(q, p, n < room ? n : room);
        }
        return q;
    }
    if (in_hook || !recording) return real_realloc(p, n);
    if (!p) return malloc(n);
    in_hook = 1;
    /* The lock is held across the real realloc: it may release the old address,
       which must not be handed to another thread before this row is written. */
    pthread_mutex_lock(&lock);
    void *q = real_realloc(p, n);
    if (recording) {
        struct entry *e = find(&by_addr, (uint64_t)(uintptr_t)p);
        if (!q) {
            /* realloc(p, 0) may free p and return NULL; any other NULL leaves p live. */
            if (n == 0 && e) on_free(p);
        } else if (!e) {
            unknown_reallocs++;
            on_alloc("malloc", q, n, 0);
        } else {
            uint64_t base = e->base, suffix = e->suffix;
            if (q != p) {
                del(&by_addr, e);
                struct entry *stale = find(&by_addr, (uint64_t)(uintptr_t)q);
                if (stale) {
                    missed_frees++;
                    write_event("free", stale->base, stale->suffix, 0, 0, 0);
                    if (!stale->suffix) {
                        struct entry *pl = find(&live_plain, stale->base);
                        if (pl) del(&live_plain, pl);
                    }
                    del(&by_addr, stale);
                }
                put(&by_addr, (uint64_t)(uintptr_t)q, base, suffix);
            }
            write_event("realloc", base, suffix, 1, n, 0);
        }
    }
    pthread_mutex_unlock(&lock);
    in_hook = 0;
    return q;
}

static void *aligned_common(const char *op, void *(*fn)(size_t, size_t), size_t align, size_t n) {
    if (!ready()) return boot_alloc(n, align);
    if (in_hook || !recording) return fn(align, n);
    in_hook = 1;
    void *p = fn(align, n);
    record_alloc(op, p, n, align);
    in_hook = 0;
    return p;
}

EXPORT void *memalign(size_t align, size_t n) { return aligned_common("memalign", ready() ? real_memalign : NULL, align, n); }

EXPORT void *aligned_alloc(size_t align, size_t n) { return aligned_common("memalign", ready() ? real_aligned_alloc : NULL, align, n); }

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (!ready()) {
        void *p = boot_alloc(n, align);
        if (!p) return ENOMEM;
        *out = p;
        return 0;
    }
    if (in_hook || !recording) return real_posix_memalign(out, align, n);
    in_hook = 1;
    int rc = real_posix_memalign(out, align, n);
    if (rc == 0) record_alloc("memalign", *out, n, align);
    in_hook = 0;
    return rc;
}

EXPORT void *valloc(size_t n) {
    if (!ready()) return boot_alloc(n, 4096);
    if (in_hook || !recording) return real_valloc(n);
    in_hook = 1;
    void *p = real_valloc(n);
    record_alloc("memalign", p, n, (size_t)page_size);
    in_hook = 0;
    return p;
}

EXPORT void *pvalloc(size_t n) {
    if (!ready()) return boot_alloc(n, 4096);
    if (in_hook || !recording) return real_pvalloc(n);
    in_hook = 1;
    void *p = real_pvalloc(n);
    size_t rounded = (n + (size_t)page_size - 1) & ~((size_t)page_size - 1);
    record_alloc("memalign", p, rounded ? rounded : (size_t)page_size, (size_t)page_size);
    in_hook = 0;
    return p;
}

/* Drop a mark: `mark,,,,thread,time_ns,label`, the label CSV-quoted when needed. */
EXPORT void heapreplay_mark(const char *label) {
    if (!ready() || !recording || !label) return;
    int was = in_hook;
    in_hook = 1;
    pthread_mutex_lock(&lock);
    if (recording) {
        char *d = row_start();
        size_t n = fmt_str(d, "mark,,,,");
        unsigned t = this_thread();
        if (t) n += fmt_u64(d + n, t);
        d[n++] = ',';
        n += fmt_u64(d + n, now_ns() - start_ns);
        d[n++] = ',';
        size_t len = strnlen(label, MAX_LABEL);
        int quote = len == 0;
        for (size_t i = 0; i < len; i++)
            if (label[i] == ',' || label[i] == '"' || label[i] == '\r' || label[i] == '\n') quote = 1;
        if (quote) d[n++] = '"';
        for (size_t i = 0; i < len; i++) {
            if (label[i] == '"') d[n++] = '"';
            d[n++] = label[i];
        }
        if (quote) d[n++] = '"';
        d[n++] = '\n';
        row_end(n);
    }
    pthread_mutex_unlock(&lock);
    in_hook = was;
}
