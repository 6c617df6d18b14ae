/* What `reserve::make_every_thread_arena` costs at load: the address space and resident
 * memory of each automatic jemalloc arena made, measured against the build's own jemalloc
 * (tikv-jemalloc-sys's static library, `_rjem_` prefix). `opt.narenas` is 4 per CPU, so a
 * many-CPU machine is played with `_RJEM_MALLOC_CONF=narenas:N` (256: 64 CPUs). See
 * BENCHMARKS.md, helper-267. Build and run:
 *   OUT=$(ls -d target/release/build/tikv-jemalloc-sys-*'/out' | head -1)
 *   gcc -O1 -I$OUT/include benches/arena_cost.c $OUT/lib/libjemalloc_pic.a -lpthread -ldl -lm -o /tmp/arena_cost
 *   _RJEM_MALLOC_CONF=narenas:256 /tmp/arena_cost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define JEMALLOC_NO_DEMANGLE
#include <jemalloc/jemalloc.h>

/* A field of /proc/self/status, in KiB. */
static long status_kib(const char *name) {
    FILE *file = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (file && fgets(line, sizeof line, file)) {
        if (!strncmp(line, name, strlen(name))) {
            kib = atol(line + strlen(name));
        }
    }
    if (file) {
        fclose(file);
    }
    return kib;
}

int main(void) {
    /* (jemalloc initialized, this thread's arena made, before the first reading.) */
    void *first = _rjem_malloc(16);
    unsigned count = 0, mine = 0;
    size_t len = sizeof count;
    if (_rjem_mallctl("opt.narenas", &count, &len, NULL, 0) || _rjem_mallctl("thread.arena", &mine, &len, NULL, 0)) {
        return 1;
    }
    long size_before = status_kib("VmSize:"), resident_before = status_kib("VmRSS:");
    /* As make_every_thread_arena does: moving the thread to an arena makes it. */
    for (unsigned index = 0; index < count; index++) {
        _rjem_mallctl("thread.arena", NULL, NULL, &index, sizeof index);
    }
    _rjem_mallctl("thread.arena", NULL, NULL, &mine, sizeof mine);
    long grown = status_kib("VmSize:") - size_before, resident = status_kib("VmRSS:") - resident_before;
    unsigned made = count > 1 ? count - 1 : 1;
    printf("narenas %u: %u made, +%ld KiB address space (%ld each), +%ld KiB resident (%ld each)\n", count,
           count - 1, grown, grown / made, resident, resident / made);
    _rjem_free(first);
    return 0;
}
