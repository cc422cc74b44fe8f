/*
 * The native reference line of `pnpm bench`: the single-threaded kernels of src/workloads/ written again in C
 * over the C library's malloc (glibc here), with the same xorshift32 sequence, so that the figures say what
 * the same work costs natively. Built by src/native.ts with `gcc -O2` when gcc is present.
 *
 * usage: glibc-bench <kernel> <iterations> [params...]
 *   random-replace <iterations> <live> <minSize> <maxSize>
 *   shbench        <iterations> <batch> <keep>
 *   threadtest     <iterations> <objects> <size>
 * prints one JSON line: {"ops":…,"seconds":…,"peakCommittedBytes":…,"peakLiveBytes":…,"maxRssBytes":…}
 * The first run of a process is a warm-up of the same work; only the second is timed.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint32_t rng_state;
static uint32_t rng_next(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}
static uint32_t below(uint32_t n) { return rng_next() % n; }
static uint32_t between(uint32_t lo, uint32_t hi) { return lo + rng_next() % (hi - lo + 1); }

static size_t peak_committed, peak_live, live_bytes;
static void sample(void) {
  struct mallinfo2 m = mallinfo2();
  size_t committed = m.arena + m.hblkhd;
  if (committed > peak_committed) peak_committed = committed;
}
static void *must(void *p) {
  if (!p) { fputs("out of memory\n", stderr); exit(2); }
  return p;
}
static void poke(unsigned char *p, size_t size, unsigned char v) {
  for (size_t at = 0; at < size; at += 4096) p[at] = v;
}
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double random_replace(long iterations, long live, long min_size, long max_size) {
  rng_state = 4141;
  live_bytes = peak_live = 0;
  unsigned char **ptrs = must(calloc(live, sizeof *ptrs));
  size_t *sizes = must(calloc(live, sizeof *sizes));
  for (long s = 0; s < live; s++) {
    sizes[s] = between(min_size, max_size);
    ptrs[s] = must(malloc(sizes[s]));
    poke(ptrs[s], sizes[s], s & 255);
    live_bytes += sizes[s];
  }
  peak_live = live_bytes;
  double start = now();
  for (long i = 0; i < iterations; i++) {
    long s = below(live);
    free(ptrs[s]);
    live_bytes -= sizes[s];
    sizes[s] = between(min_size, max_size);
    ptrs[s] = must(malloc(sizes[s]));
    poke(ptrs[s], sizes[s], s & 255);
    live_bytes += sizes[s];
    if (live_bytes > peak_live) peak_live = live_bytes;
  }
  double seconds = now() - start;
  sample();
  for (long s = 0; s < live; s++) free(ptrs[s]);
  free(ptrs);
  free(sizes);
  return seconds;
}

static long shbench(long iterations, long batch, long keep, double *seconds) {
  rng_state = 1234;
  live_bytes = peak_live = 0;
  unsigned char **bp = must(calloc(batch, sizeof *bp)), **fp = must(calloc(keep, sizeof *fp));
  size_t *bs = must(calloc(batch, sizeof *bs)), *fs = must(calloc(keep, sizeof *fs));
  long head = 0, count = 0, ops = 0;
  double start = now();
  while (ops < iterations) {
    for (long i = 0; i < batch; i++) {
      size_t a = below(4096), b = below(4096);
      bs[i] = 8 + ((a * b) >> 12);
      bp[i] = must(malloc(bs[i]));
      poke(bp[i], bs[i], i);
      live_bytes += bs[i];
    }
    if (live_bytes > peak_live) peak_live = live_bytes;
    ops += batch;
    for (long i = batch - 1; i >= 0; i -= 2) { free(bp[i]); live_bytes -= bs[i]; ops++; }
    for (long i = 0; i < batch; i += 2) {
      if (count == keep) {
        free(fp[head]);
        live_bytes -= fs[head];
        head = (head + 1) % keep;
        count--;
        ops++;
      }
      long tail = (head + count) % keep;
      fp[tail] = bp[i];
      fs[tail] = bs[i];
      count++;
    }
  }
  *seconds = now() - start;
  sample();
  for (long i = 0; i < count; i++) free(fp[(head + i) % keep]);
  live_bytes = 0;
  free(bp); free(fp); free(bs); free(fs);
  return ops;
}

static long threadtest(long iterations, long objects, long size, double *seconds) {
  unsigned char **ptrs = must(calloc(objects, sizeof *ptrs));
  long rounds = iterations / (2 * objects);
  if (rounds < 1) rounds = 1;
  double start = now();
  for (long r = 0; r < rounds; r++) {
    for (long i = 0; i < objects; i++) {
      ptrs[i] = must(malloc(size));
      ptrs[i][0] = (unsigned char)i;
    }
    if (r == 0) sample();
    for (long i = 0; i < objects; i++) free(ptrs[i]);
  }
  *seconds = now() - start;
  peak_live = objects * size;
  free(ptrs);
  return rounds * 2 * objects;
}

static long run(int argc, char **argv, double *seconds) {
  const char *kernel = argv[1];
  long n = atol(argv[2]);
  if (!strcmp(kernel, "random-replace") && argc == 6) {
    *seconds = random_replace(n, atol(argv[3]), atol(argv[4]), atol(argv[5]));
    return n;
  }
  if (!strcmp(kernel, "shbench") && argc == 5) return shbench(n, atol(argv[3]), atol(argv[4]), seconds);
  if (!strcmp(kernel, "threadtest") && argc == 5) return threadtest(n, atol(argv[3]), atol(argv[4]), seconds);
  fprintf(stderr, "usage: glibc-bench random-replace|shbench|threadtest <iterations> <params...>\n");
  exit(1);
}

/* Peak RSS of this program: VmHWM, since ru_maxrss keeps the parent's peak across fork and exec. */
static long peak_rss(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  if (f) fclose(f);
  if (kib < 0) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    kib = usage.ru_maxrss;
  }
  return kib * 1024L;
}

int main(int argc, char **argv) {
  if (argc < 3) run(0, argv, NULL);
  double seconds;
  run(argc, argv, &seconds);
  long ops = run(argc, argv, &seconds);
  printf("{\"ops\":%ld,\"seconds\":%.9f,\"peakCommittedBytes\":%zu,\"peakLiveBytes\":%zu,\"maxRssBytes\":%ld}\n",
         ops, seconds, peak_committed, peak_live, peak_rss());
  return 0;
}
