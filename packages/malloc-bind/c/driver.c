/*
 * The C client of @allocators/malloc-bind: a freestanding wasm32 program that gets its whole malloc family
 * (and errno) from the JS side through `env` imports, exercises every function with glibc semantics, and
 * builds linked lists, binary trees and strings with them, checking every result.
 *
 * Export: run(seed, rounds) returns 0 when every check passed, else the source line of the first failed check.
 * No libc: the few helpers it needs are defined here. Nothing lives on the linear-memory stack that another
 * thread could see: each instance gets its own stack from the JS side (see src/wasm.ts).
 */
typedef unsigned int size_t;
typedef unsigned int uintptr_t;

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(malloc) void *malloc(size_t size);
IMPORT(free) void free(void *ptr);
IMPORT(calloc) void *calloc(size_t count, size_t size);
IMPORT(realloc) void *realloc(void *ptr, size_t size);
IMPORT(reallocarray) void *reallocarray(void *ptr, size_t count, size_t size);
IMPORT(reallocf) void *reallocf(void *ptr, size_t size);
IMPORT(posix_memalign) int posix_memalign(void **memptr, size_t align, size_t size);
IMPORT(aligned_alloc) void *aligned_alloc(size_t align, size_t size);
IMPORT(memalign) void *memalign(size_t align, size_t size);
IMPORT(valloc) void *valloc(size_t size);
IMPORT(pvalloc) void *pvalloc(size_t size);
IMPORT(malloc_usable_size) size_t malloc_usable_size(void *ptr);
IMPORT(free_sized) void free_sized(void *ptr, size_t size);
IMPORT(free_aligned_sized) void free_aligned_sized(void *ptr, size_t align, size_t size);
IMPORT(__errno_location) int *__errno_location(void);

#define errno (*__errno_location())
#define NULL ((void *)0)
#define ENOMEM 12
#define EINVAL 22
#define SIZE_MAX 0xffffffffu
#define PAGE 4096u

#define CHECK(cond)                                                                                            \
  do {                                                                                                         \
    if (!(cond)) return __LINE__;                                                                              \
  } while (0)
#define RUN(step)                                                                                              \
  do {                                                                                                         \
    int failed = (step);                                                                                       \
    if (failed) return failed;                                                                                 \
  } while (0)

static unsigned next_random(unsigned *state) {
  unsigned x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static void fill(unsigned char *p, size_t n, unsigned char seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7);
}
static int filled(const unsigned char *p, size_t n, unsigned char seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(seed + i * 7)) return 0;
  return 1;
}
static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}
static int aligned(const void *p, size_t align) { return ((uintptr_t)p & (align - 1)) == 0; }

/* malloc, free, malloc_usable_size, and out of memory for sizes near and above the address space. */
static int check_malloc(void) {
  void *zero = malloc(0);
  CHECK(zero != NULL);
  void *other = malloc(0);
  CHECK(other != NULL && other != zero);
  free(zero);
  free(other);
  free(NULL);
  for (size_t n = 1; n < 3000; n = n * 3 + 1) {
    unsigned char *p = malloc(n);
    CHECK(p != NULL && aligned(p, 8));
    CHECK(malloc_usable_size(p) >= n);
    fill(p, n, (unsigned char)n);
    CHECK(filled(p, n, (unsigned char)n));
    free(p);
  }
  CHECK(malloc_usable_size(NULL) == 0);
  size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4096, 0x80000000u, 0xc0000000u};
  for (unsigned i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    errno = 0;
    CHECK(malloc(huge[i]) == NULL && errno == ENOMEM);
  }
  return 0;
}

static int check_calloc(void) {
  unsigned char *p = calloc(100, 3);
  CHECK(p != NULL && all_zero(p, 300));
  fill(p, 300, 1);
  free(p);
  p = calloc(300, 1); /* may reuse the block just filled: must still be zero */
  CHECK(p != NULL && all_zero(p, 300));
  free(p);
  void *zero = calloc(0, 16);
  CHECK(zero != NULL);
  free(zero);
  /* count * size wraps around in 32 bits: a naive calloc would return a small block. */
  size_t pairs[][2] = {{65536, 65537}, {65537, 65536}, {SIZE_MAX, 2}, {2, SIZE_MAX}, {0x10000, 0x10000}};
  for (unsigned i = 0; i < 5; i++) {
    errno = 0;
    CHECK(calloc(pairs[i][0], pairs[i][1]) == NULL && errno == ENOMEM);
  }
  return 0;
}

static int check_realloc(void) {
  unsigned char *p = realloc(NULL, 40); /* realloc(NULL, n) is malloc(n) */
  CHECK(p != NULL);
  fill(p, 40, 3);
  p = realloc(p, 4000); /* grow: contents kept */
  CHECK(p != NULL && filled(p, 40, 3) && malloc_usable_size(p) >= 4000);
  fill(p, 4000, 5);
  p = realloc(p, 10); /* shrink: prefix kept */
  CHECK(p != NULL && filled(p, 10, 5));
  errno = 0;
  CHECK(realloc(p, SIZE_MAX) == NULL && errno == ENOMEM); /* failure leaves the block untouched */
  CHECK(filled(p, 10, 5));
  errno = 0;
  CHECK(reallocarray(p, 65536, 65537) == NULL && errno == ENOMEM);
  CHECK(filled(p, 10, 5));
  p = reallocarray(p, 20, 50);
  CHECK(p != NULL && filled(p, 10, 5) && malloc_usable_size(p) >= 1000);
  p = reallocf(p, 2000);
  CHECK(p != NULL && filled(p, 10, 5));
  errno = 0;
  CHECK(reallocf(p, SIZE_MAX) == NULL && errno == ENOMEM); /* reallocf frees p on failure */
  void *q = malloc(16);
  CHECK(realloc(q, 0) == NULL); /* glibc: realloc(p, 0) frees p and returns NULL */
  void *r = realloc(NULL, 0);
  CHECK(r != NULL);
  free(r);
  return 0;
}

static int check_aligned(void) {
  for (size_t align = 4; align <= 65536; align *= 2) {
    void *p = NULL;
    CHECK(posix_memalign(&p, align, 100) == 0 && p != NULL && aligned(p, align));
    CHECK(malloc_usable_size(p) >= 100);
    fill(p, 100, 9);
    free(p);
    unsigned char *a = aligned_alloc(align, align * 2);
    CHECK(a != NULL && aligned(a, align));
    fill(a, align * 2, 1);
    free_aligned_sized(a, align, align * 2);
    unsigned char *m = memalign(align, 33);
    CHECK(m != NULL && aligned(m, align) && malloc_usable_size(m) >= 33);
    free(m);
    errno = 0;
    CHECK(posix_memalign(&p, align, SIZE_MAX - align) == ENOMEM);
    CHECK(aligned_alloc(align, SIZE_MAX & ~(align - 1)) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(memalign(align, 0xfffff000u) == NULL && errno == ENOMEM);
  }
  void *p = (void *)1;
  CHECK(posix_memalign(&p, 2, 8) == EINVAL && p == (void *)1); /* below sizeof(void *) */
  CHECK(posix_memalign(&p, 12, 8) == EINVAL);                  /* not a power of two */
  CHECK(posix_memalign(&p, 0, 8) == EINVAL);
  CHECK(posix_memalign(&p, sizeof(void *), 8) == 0 && p != NULL); /* sizeof(void *) itself is allowed */
  free(p);
  errno = 0;
  CHECK(aligned_alloc(24, 48) == NULL && errno == EINVAL);
  unsigned char *v = valloc(10);
  CHECK(v != NULL && aligned(v, PAGE));
  free(v);
  v = pvalloc(PAGE + 1); /* pvalloc rounds the size up to whole pages */
  CHECK(v != NULL && aligned(v, PAGE) && malloc_usable_size(v) >= 2 * PAGE);
  free(v);
  unsigned char *s = malloc(77);
  CHECK(s != NULL);
  free_sized(s, 77);
  return 0;
}

/* A singly linked list of random values: built, summed, reversed, checked, freed. */
struct node {
  struct node *next;
  unsigned value;
};
static int check_list(unsigned *rng, unsigned count) {
  struct node *head = NULL;
  unsigned sum = 0;
  for (unsigned i = 0; i < count; i++) {
    struct node *n = malloc(sizeof *n);
    CHECK(n != NULL);
    n->value = next_random(rng);
    n->next = head;
    sum += n->value;
    head = n;
  }
  struct node *reversed = NULL;
  while (head) {
    struct node *next = head->next;
    head->next = reversed;
    reversed = head;
    head = next;
  }
  unsigned seen = 0, length = 0;
  while (reversed) {
    struct node *next = reversed->next;
    seen += reversed->value;
    length++;
    free(reversed);
    reversed = next;
  }
  CHECK(seen == sum && length == count);
  return 0;
}

/* A binary search tree of random keys (calloc'd nodes): in-order traversal must be sorted. */
struct tree {
  struct tree *left, *right;
  unsigned key;
};
static struct tree *insert(struct tree *root, struct tree *leaf) {
  struct tree **slot = &root;
  while (*slot) slot = leaf->key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
  *slot = leaf;
  return root;
}
/* No globals: instances in several threads share the data segment, so per-run state lives on the stack. */
struct walk {
  unsigned last_key, visited, in_order;
};
static void walk_and_free(struct tree *t, struct walk *w) {
  if (!t) return;
  walk_and_free(t->left, w);
  if (w->visited && t->key < w->last_key) w->in_order = 0;
  w->last_key = t->key;
  w->visited++;
  struct tree *right = t->right;
  free_sized(t, sizeof *t);
  walk_and_free(right, w);
}
static int check_tree(unsigned *rng, unsigned count) {
  struct tree *root = NULL;
  for (unsigned i = 0; i < count; i++) {
    struct tree *leaf = calloc(1, sizeof *leaf);
    CHECK(leaf != NULL && leaf->left == NULL && leaf->right == NULL);
    leaf->key = next_random(rng) % 100000;
    root = insert(root, leaf);
  }
  struct walk w = {0, 0, 1};
  walk_and_free(root, &w);
  CHECK(w.visited == count && w.in_order);
  return 0;
}

/* Strings grown by realloc, one decimal number at a time, then copied and compared. */
static size_t length(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static char *duplicate(const char *s) {
  size_t n = length(s) + 1;
  char *copy = malloc(n);
  if (copy)
    for (size_t i = 0; i < n; i++) copy[i] = s[i];
  return copy;
}
static int check_strings(unsigned count) {
  char *text = NULL;
  size_t used = 0;
  for (unsigned i = 0; i < count; i++) {
    char digits[12];
    int d = 0;
    unsigned v = i;
    do digits[d++] = (char)('0' + v % 10);
    while (v /= 10);
    char *grown = realloc(text, used + d + 2);
    CHECK(grown != NULL);
    text = grown;
    while (d) text[used++] = digits[--d];
    text[used++] = ',';
    text[used] = 0;
  }
  char *copy = duplicate(text);
  CHECK(copy != NULL && length(copy) == used);
  /* parse it back: the numbers 0 .. count-1 in order */
  unsigned expected = 0, value = 0;
  for (size_t i = 0; i < used; i++) {
    if (copy[i] == ',') {
      CHECK(value == expected);
      expected++;
      value = 0;
    } else {
      value = value * 10 + (unsigned)(copy[i] - '0');
    }
  }
  CHECK(expected == count);
  free(text);
  free(copy);
  return 0;
}

EXPORT(run) int run(unsigned seed, unsigned rounds) {
  unsigned rng = seed | 1;
  RUN(check_malloc());
  RUN(check_calloc());
  RUN(check_realloc());
  RUN(check_aligned());
  for (unsigned r = 0; r < rounds; r++) {
    RUN(check_list(&rng, 200 + next_random(&rng) % 300));
    RUN(check_tree(&rng, 100 + next_random(&rng) % 200));
    RUN(check_strings(50 + next_random(&rng) % 150));
  }
  return 0;
}
