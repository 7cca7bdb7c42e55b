/* Fast path for data.police.uk street-level CSVs: one pass over the bytes, no CSV tokenizer.
 *
 * Why: pyarrow's reader spends ~45 ms of CPU per 17 MB monthly file tokenizing twelve columns to keep
 * five, and the aggregation then hashes every row's strings again. This scanner lists the separators 64
 * bytes at a time, reads the five fields of each row straight from that list, dictionary-encodes them,
 * counts rows per combination and checks Crime IDs for repeats, with the GIL released, so two files are
 * scanned at once.
 *
 * It handles only the plain case: no quote character and no NUL byte in the file, every non-empty line
 * with exactly the header's number of fields, line ends "\n" or "\r\n", Crime IDs ASCII. Rows that
 * share a Crime ID are returned as groups, for the caller's rule. Anything else returns a reason string,
 * and the caller reads the file with the general (pyarrow) reader, which applies the reject rules and
 * gives line numbers. So every figure this path gives is one the general reader would give: the tests
 * compare the two on real and hostile files. A mapped file truncated during the scan (SIGBUS) is caught
 * and returned as the reason "the file changed while it was read".
 *
 * scan(buffer, start, ncols, (id_col, month_col, force_col, lsoa_first, lsoa_last, type_col))
 *   -> (rows, [(codes: bytes of int32, or b"" if all 0, values: list[bytes]) x 4 for month, force, lsoa, type],
 *       [rows sharing one Crime ID: bytes of int32, ascending] for each repeated ID,
 *       cells: bytes of int32, or b"" if the grid would be too large)
 *   or a str saying why the general reader is needed.
 * The LSOA field is the raw bytes from the start of column lsoa_first to the end of lsoa_last (the LSOA
 * code and name, which are adjacent: "E01000001,Camden 024B"), so the place is kept, not only its area.
 * Codes index the values in order of first appearance; -1 is an empty field (pyarrow's null).
 * ``cells`` counts the rows of each (month, force, lsoa, type) combination, row-major over a grid whose
 * dimensions are each column's number of values + 1, the last index standing for an empty field: so the
 * caller works per combination (tens of thousands at most), not per row, and touches rows only for
 * rejects.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <setjmp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAXF 16 /* dictionary-encoded fields a row at most */
#define NSTREET 4 /* street(): month, force, lsoa, type */
#define MONTH 0
#define FORCE 1
#define LSOA 2 /* the bytes from the LSOA code to the LSOA name (adjacent columns): "E01000001,Camden 024B" */

typedef struct {
    Py_ssize_t off; /* into the dictionary's arena */
    Py_ssize_t len;
} Str;

/* Distinct values are copied into one arena: comparing a field with a value left where it first
 * appeared in a 17 MB buffer misses the cache on every lookup. */
typedef struct {
    int32_t *slots; /* index into vals, -1 = empty slot */
    uint64_t *hashes;
    Py_ssize_t cap; /* power of two */
    Str *vals;
    Py_ssize_t nvals, vcap;
    char *arena;
    Py_ssize_t alen, acap;
} Dict;

typedef struct {
    int32_t *data;
    Py_ssize_t len, cap;
} Codes;

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    h ^= h >> 32;
    return h;
}

/* A 64-bit hash of n bytes: for up to 16 bytes the first and last eight (overlapping) words, otherwise
 * every word in two independent lanes; no loop for the short fields that are most of the work. *bits
 * gets the OR of every byte (each byte in a byte lane), so the high bit says whether any is not ASCII. */
static inline uint64_t hash_bytes_or(const char *p, Py_ssize_t n, uint64_t *bits) {
    uint64_t a, b, seen = 0;
    if (n >= 8) {
        if (n <= 16) {
            memcpy(&a, p, 8);
            memcpy(&b, p + n - 8, 8);
            seen = a | b;
        } else {
            uint64_t x = 0x9E3779B97F4A7C15ULL, y = 0xC2B2AE3D27D4EB4FULL;
            Py_ssize_t i = 0;
            for (; i + 16 <= n; i += 16) {
                uint64_t w0, w1;
                memcpy(&w0, p + i, 8);
                memcpy(&w1, p + i + 8, 8);
                seen |= w0 | w1;
                x = (x ^ w0) * 0xBF58476D1CE4E5B9ULL;
                y = (y ^ w1) * 0x94D049BB133111EBULL;
                x ^= x >> 29;
                y ^= y >> 31;
            }
            memcpy(&a, p + n - 16, 8);
            memcpy(&b, p + n - 8, 8);
            seen |= a | b;
            a ^= x;
            b ^= y;
        }
    } else {
        a = 0;
        b = 0;
        if (n >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, p, 4);
            memcpy(&hi, p + n - 4, 4);
            a = lo;
            b = hi;
        } else {
            for (Py_ssize_t i = 0; i < n; i++) a = (a << 8) | (unsigned char)p[i];
        }
        seen = a | b;
    }
    *bits = seen;
    return mix64((a * 0xBF58476D1CE4E5B9ULL) ^ (b + (uint64_t)n) * 0x94D049BB133111EBULL ^ (b >> 17));
}

static inline uint64_t hash_bytes(const char *p, Py_ssize_t n) {
    uint64_t unused;
    return hash_bytes_or(p, n, &unused);
}

/* Byte equality of two strings of length n, eight bytes at a time (short fields: a call to memcmp costs
 * more than the comparison). */
static inline int same_bytes(const char *a, const char *b, Py_ssize_t n) {
    uint64_t x, y;
    if (n >= 8) {
        Py_ssize_t i = 0;
        for (; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8); /* the last eight bytes, overlapping the words before */
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, s, t;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&s, a + n - 4, 4);
        memcpy(&t, b + n - 4, 4);
        return u == v && s == t;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* ``data`` with room for ``need`` elements of ``elem`` bytes: the capacity *cap doubles (from ``first``) as
 * needed. NULL when out of memory, leaving ``data`` and *cap as they were. */
static void *grown(void *data, Py_ssize_t *cap, Py_ssize_t need, size_t elem, Py_ssize_t first) {
    if (need <= *cap) return data;
    Py_ssize_t ncap = *cap ? *cap : first;
    while (ncap < need) ncap *= 2;
    void *nd = realloc(data, elem * (size_t)ncap);
    if (nd) *cap = ncap;
    return nd;
}

static int dict_init(Dict *d) {
    d->cap = 64;
    d->slots = malloc(sizeof(int32_t) * d->cap);
    d->hashes = malloc(sizeof(uint64_t) * d->cap);
    d->vals = NULL; /* values and arena are grown on first use */
    d->nvals = d->vcap = 0;
    d->arena = NULL;
    d->alen = d->acap = 0;
    if (!d->slots || !d->hashes) return -1;
    memset(d->slots, 0xff, sizeof(int32_t) * d->cap);
    return 0;
}

static void dict_free(Dict *d) {
    free(d->slots);
    free(d->hashes);
    free(d->vals);
    free(d->arena);
}

static int dict_grow(Dict *d) {
    Py_ssize_t ncap = d->cap * 2;
    int32_t *slots = malloc(sizeof(int32_t) * ncap);
    uint64_t *hashes = malloc(sizeof(uint64_t) * ncap);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    memset(slots, 0xff, sizeof(int32_t) * ncap);
    for (Py_ssize_t i = 0; i < d->cap; i++) {
        if (d->slots[i] < 0) continue;
        Py_ssize_t j = (Py_ssize_t)(d->hashes[i] & (uint64_t)(ncap - 1));
        while (slots[j] >= 0) j = (j + 1) & (ncap - 1);
        slots[j] = d->slots[i];
        hashes[j] = d->hashes[i];
    }
    free(d->slots);
    free(d->hashes);
    d->slots = slots;
    d->hashes = hashes;
    d->cap = ncap;
    return 0;
}

/* The code of a field's text (added on first sight); -1 for an empty field, -2 on allocation failure. */
static int32_t dict_code(Dict *d, const char *p, Py_ssize_t n) {
    if (n == 0) return -1;
    uint64_t h = hash_bytes(p, n);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(d->cap - 1));
    while (d->slots[j] >= 0) {
        if (d->hashes[j] == h) {
            Str *v = &d->vals[d->slots[j]];
            if (v->len == n && same_bytes(d->arena + v->off, p, n)) return d->slots[j];
        }
        j = (j + 1) & (d->cap - 1);
    }
    if (d->nvals >= INT32_MAX) return -2;
    Str *nv = grown(d->vals, &d->vcap, d->nvals + 1, sizeof(Str), 32);
    if (!nv) return -2;
    d->vals = nv;
    char *na = grown(d->arena, &d->acap, d->alen + n, 1, 4096);
    if (!na) return -2;
    d->arena = na;
    memcpy(d->arena + d->alen, p, (size_t)n);
    int32_t code = (int32_t)d->nvals++;
    d->vals[code].off = d->alen;
    d->alen += n;
    d->vals[code].len = n;
    d->slots[j] = code;
    d->hashes[j] = h;
    if (d->nvals * 2 > d->cap && dict_grow(d) < 0) return -2;
    return code;
}

/* Crime IDs, collected in row order and grouped at the end: a hash set probed once per row misses the
 * cache on nearly every probe; bucketing by the top bits of the hash, then sorting each small bucket,
 * reads memory in order. */
typedef struct {
    uint64_t hash;
    Py_ssize_t off; /* of the ID in the buffer */
    int32_t len;
    int32_t row; /* data row, from 0 */
} IdEntry;

typedef struct {
    IdEntry *data;
    Py_ssize_t len, cap;
} Ids;

/* Rows that share a Crime ID, as groups of row numbers in ascending order (int32), appended to
 * ``groups``; 0, or -1 on allocation failure. Equal hashes are confirmed byte for byte. */
typedef struct {
    int32_t *rows; /* groups one after another */
    int32_t *sizes;
    Py_ssize_t nrows, ngroups, rcap, gcap;
} Groups;

static int groups_add(Groups *g, const IdEntry *run, const char *buf, Py_ssize_t k, char *taken) {
    for (Py_ssize_t i = 0; i < k; i++) {
        if (taken[i]) continue;
        Py_ssize_t size = 0;
        for (Py_ssize_t j = i; j < k; j++) {
            if (taken[j] || run[j].len != run[i].len ||
                memcmp(buf + run[j].off, buf + run[i].off, (size_t)run[i].len) != 0)
                continue;
            taken[j] = 1;
            int32_t *nr = grown(g->rows, &g->rcap, g->nrows + 1, sizeof(int32_t), 256);
            if (!nr) return -1;
            g->rows = nr;
            g->rows[g->nrows++] = run[j].row;
            size++;
        }
        if (size < 2) { /* a hash collision, not a repeat */
            g->nrows -= size;
            continue;
        }
        int32_t *ns = grown(g->sizes, &g->gcap, g->ngroups + 1, sizeof(int32_t), 64);
        if (!ns) return -1;
        g->sizes = ns;
        g->sizes[g->ngroups++] = (int32_t)size;
    }
    return 0;
}

static int ids_group(const Ids *h, const char *buf, Groups *g) {
    Py_ssize_t n = h->len;
    if (n < 2) return 0;
    int bits = 1;
    while (bits < 24 && ((Py_ssize_t)1 << bits) * 16 < n) bits++;
    Py_ssize_t nb = (Py_ssize_t)1 << bits;
    Py_ssize_t *start = calloc((size_t)nb + 1, sizeof(Py_ssize_t));
    IdEntry *sorted = malloc(sizeof(IdEntry) * (size_t)n);
    char *taken = malloc((size_t)n);
    int rc = 0;
    if (!start || !sorted || !taken) {
        rc = -1;
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) start[(h->data[i].hash >> (64 - bits)) + 1]++;
    for (Py_ssize_t b = 0; b < nb; b++) start[b + 1] += start[b];
    for (Py_ssize_t i = 0; i < n; i++) sorted[start[h->data[i].hash >> (64 - bits)]++] = h->data[i];
    /* start[b] is now the end of bucket b; insertion sort (stable: rows stay in order) each bucket */
    Py_ssize_t lo = 0;
    for (Py_ssize_t b = 0; b < nb; b++) {
        Py_ssize_t hi = start[b];
        for (Py_ssize_t i = lo + 1; i < hi; i++) {
            IdEntry v = sorted[i];
            Py_ssize_t j = i - 1;
            while (j >= lo && sorted[j].hash > v.hash) {
                sorted[j + 1] = sorted[j];
                j--;
            }
            sorted[j + 1] = v;
        }
        for (Py_ssize_t i = lo; i < hi;) {
            Py_ssize_t j = i + 1;
            while (j < hi && sorted[j].hash == sorted[i].hash) j++;
            if (j - i > 1) {
                memset(taken, 0, (size_t)(j - i));
                if (groups_add(g, sorted + i, buf, j - i, taken) < 0) {
                    rc = -1;
                    goto out;
                }
            }
            i = j;
        }
        lo = hi;
    }
out:
    free(start);
    free(sorted);
    free(taken);
    return rc;
}

/* The hash of a Crime ID, and whether it is all ASCII (checked in the same pass, a word at a time). */
static inline uint64_t hash_ascii(const char *p, Py_ssize_t n, int *ascii) {
    uint64_t bits;
    uint64_t h = hash_bytes_or(p, n, &bits);
    *ascii = (bits & 0x8080808080808080ULL) == 0;
    return h;
}

/* One dictionary-encoded column: its dictionary, its codes, and the last field seen (most rows repeat
 * the month and force of the row before, so those skip the hash). */
typedef struct {
    Dict dict;
    Codes codes;
    const char *last_ptr;
    Py_ssize_t last_len;
    int32_t last_code;
    int repeats; /* compare with the last field first (Month, Falls within); others vary row to row */
} Column;

/* The kept fields of one row, by column index. */
typedef struct {
    int id_col;          /* the Crime ID column (its repeats are grouped), or -1 */
    int nfields;
    int cols[MAXF];      /* street(): month, force, lsoa (the LSOA code), type */
    int span_last[MAXF]; /* field k runs from the start of cols[k] to the end of this column (the LSOA) */
    int date_field;      /* the field whose valid time of day is dropped (see date_key), or -1 */
    int ncols;
    Ids ids;
    const char *buf;
} Layout;

typedef struct {
    const char *reason; /* NULL on success */
    Py_ssize_t rows;
    Column fields[MAXF];
    Groups repeats;
    int32_t *cells; /* NULL when the grid would be too large */
    Py_ssize_t ncells;
    Layout lay;       /* scan_buffer's working state: here so that a fault can free it */
    Py_ssize_t *seps; /* the separator list of the current slab, likewise */
} ScanResult;

#define MAX_CELLS ((Py_ssize_t)1 << 21) /* 8 MB of counts: beyond real files (~75,000 cells) */

/* Rows per (month, force, area, type) combination; see the top of the file. 0, or -1 when out of memory. */
static int count_cells(ScanResult *r) {
    Py_ssize_t dim[NSTREET], total = 1;
    const int32_t *codes[NSTREET];
    for (int k = 0; k < NSTREET; k++) {
        dim[k] = r->fields[k].dict.nvals + 1;
        total *= dim[k];
        if (total > MAX_CELLS) return 0; /* the caller counts from the codes instead */
        codes[k] = r->fields[k].codes.data;
    }
    r->cells = calloc((size_t)total, sizeof(int32_t));
    if (!r->cells) return -1;
    r->ncells = total;
    for (Py_ssize_t row = 0; row < r->rows; row++) {
        Py_ssize_t at = 0;
        for (int k = 0; k < NSTREET; k++) {
            int32_t c = codes[k][row];
            at = at * dim[k] + (c < 0 ? dim[k] - 1 : c);
        }
        r->cells[at]++;
    }
    return 0;
}

/* The 64 bytes at p as bit masks: each ',' or '\n' in *seps, each '\n' in *nls; *crs counts the '\r';
 * the result is non-zero if there is a '"' (SSE2: not where). Four 16-byte SSE2 compares where there is SSE2 (every x86-64); 64 bytes a step keeps the loop
 * overhead per byte small. */
static inline uint64_t classify64(const char *p, uint64_t *seps, uint64_t *nls, int *crs) {
    uint64_t s = 0, n = 0, q = 0;
    int cr = 0;
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"');
    const __m128i creturn = _mm_set1_epi8('\r');
    const __m128i nul = _mm_setzero_si128();
    __m128i quotes = _mm_setzero_si128(), returns = _mm_setzero_si128();
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i nl = _mm_cmpeq_epi8(v, newline);
        n |= (uint64_t)(uint32_t)_mm_movemask_epi8(nl) << (16 * i);
        s |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_or_si128(nl, _mm_cmpeq_epi8(v, comma))) << (16 * i);
        quotes = _mm_or_si128(quotes, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, nul)));
        returns = _mm_or_si128(returns, _mm_cmpeq_epi8(v, creturn));
    }
    q = (uint64_t)_mm_movemask_epi8(quotes); /* only whether there is one matters */
    if (_mm_movemask_epi8(returns)) /* rare (CRLF files): count them */
        for (int i = 0; i < 64; i++) cr += p[i] == '\r';
#else
    for (int i = 0; i < 64; i++) {
        if (p[i] == '\n') n |= 1ULL << i;
        if (p[i] == ',' || p[i] == '\n') s |= 1ULL << i;
        if (p[i] == '"' || p[i] == 0) q |= 1ULL << i;
        cr += p[i] == '\r';
    }
#endif
    *seps = s;
    *nls = n;
    *crs = cr;
    return q;
}


/* Room for ``n`` more rows in every output array, so a row's pushes need no check. 0, or -1. */
static int reserve_rows(Layout *lay, ScanResult *r, Py_ssize_t n) {
    if (n == 0) return 0; /* grown() gives back NULL for no room asked of no array */
    for (int k = 0; k < lay->nfields; k++) {
        Codes *c = &r->fields[k].codes;
        int32_t *nd = grown(c->data, &c->cap, c->len + n, sizeof(int32_t), 65536);
        if (!nd) return -1;
        c->data = nd;
    }
    if (lay->id_col < 0) return 0;
    IdEntry *ne = grown(lay->ids.data, &lay->ids.cap, lay->ids.len + n, sizeof(IdEntry), 65536);
    if (!ne) return -1;
    lay->ids.data = ne;
    return 0;
}

/* True if the field [p, p + n) is the one the column saw last (its code can be reused). */
static inline int same_as_last(const Column *c, const char *p, Py_ssize_t n) {
    return c->last_ptr && n == c->last_len && same_bytes(p, c->last_ptr, n);
}

/* Append the code of field [p, p + n) (room reserved) and remember the field as the last seen. 0, or -1
 * for the code -2 (out of memory). */
static inline int put_code(Column *c, const char *p, Py_ssize_t n, int32_t code) {
    if (code == -2) return -1;
    c->last_ptr = p;
    c->last_len = n;
    c->last_code = code;
    c->codes.data[c->codes.len++] = code;
    return 0;
}

/* Dictionary-encode one field (room reserved). 0, or -1 when out of memory. */
static inline __attribute__((always_inline)) int encode_field(Column *c, const char *p, Py_ssize_t n) {
    if (c->repeats && same_as_last(c, p, n)) {
        c->codes.data[c->codes.len++] = c->last_code;
        return 0;
    }
    return put_code(c, p, n, dict_code(&c->dict, p, n));
}

static inline int digits(const char *p, int n) {
    for (int i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

static inline int two(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* The length of the part of a date field that decides its month: a record extract's "31/03/2022 14:05"
 * has half a million distinct values in two million rows, its date part about a thousand. The time is
 * dropped only when it is certainly valid and the whole text has a layout the reference reader parses
 * by format (dd/mm/yyyy HH:MM[:SS], yyyy-mm-dd HH:MM[:SS], yyyy-mm-ddTHH:MM:SS), so the month of the
 * date part is the month of the whole; any other text is kept whole, for the reference rules. */
static inline Py_ssize_t date_key(const char *f, Py_ssize_t n) {
    if (n != 16 && n != 19) return n;
    char sep = f[10];
    int dmy = f[2] == '/' && f[5] == '/' && digits(f, 2) && digits(f + 3, 2) && digits(f + 6, 4);
    int ymd = f[4] == '-' && f[7] == '-' && digits(f, 4) && digits(f + 5, 2) && digits(f + 8, 2);
    if (!(sep == ' ' && (dmy || ymd)) && !(sep == 'T' && ymd && n == 19)) return n;
    const char *t = f + 11;
    if (!(digits(t, 2) && t[2] == ':' && digits(t + 3, 2) && two(t) < 24 && two(t + 3) < 60)) return n;
    if (n == 19 && !(t[5] == ':' && digits(t + 6, 2) && two(t + 6) < 60)) return n;
    return 10;
}

/* One well-formed row: ``ends[c]`` is where column c ends (its ',' or the line end), the row starts at
 * ``row``, and ``last_end`` is the end of the last column with any '\r' before the line end dropped.
 * 0, or -1 with a reason. */
static inline __attribute__((always_inline)) int take_row(Layout *lay, ScanResult *r, const char *row,
                                                        const Py_ssize_t *ends, const char *last_end) {
    const char *buf = lay->buf;
#define FIELD_START(c) ((c) == 0 ? row : buf + ends[(c) - 1] + 1)
#define FIELD_END(c) ((c) == lay->ncols - 1 ? last_end : buf + ends[c])
    const char *f;
    Py_ssize_t n = 0;
    if (lay->id_col >= 0) {
        f = FIELD_START(lay->id_col);
        n = FIELD_END(lay->id_col) - f;
    }
    if (n) {
        int ascii;
        uint64_t h = hash_ascii(f, n, &ascii);
        if (!ascii) {
            r->reason = "a Crime ID that is not ASCII";
            return -1;
        }
        if (n > INT32_MAX || r->rows >= INT32_MAX) {
            r->reason = "out of memory";
            return -1;
        }
        IdEntry *e = &lay->ids.data[lay->ids.len++];
        e->hash = h;
        e->off = f - buf;
        e->len = (int32_t)n;
        e->row = (int32_t)r->rows;
    }
    for (int k = 0; k < lay->nfields; k++) {
        f = FIELD_START(lay->cols[k]);
        n = FIELD_END(lay->span_last[k]) - f;
        if (k == lay->date_field) n = date_key(f, n);
        if (encode_field(&r->fields[k], f, n) < 0) {
            r->reason = "out of memory";
            return -1;
        }
    }
#undef FIELD_START
#undef FIELD_END
    r->rows++;
    return 0;
}

/* Append the positions (base + bit) of the set bits of ``mask`` at *out, in order. */
static inline Py_ssize_t *flatten(Py_ssize_t *out, Py_ssize_t base, uint64_t mask) {
    while (mask) {
        *out++ = base + __builtin_ctzll(mask);
        mask &= mask - 1;
    }
    return out;
}

/* The number of set bits; line ends are a few a block, so one step each beats a call to libgcc's
 * popcount (x86-64 has no popcount instruction before x86-64-v2). */
static inline int bits_set(uint64_t mask) {
    int n = 0;
    for (; mask; mask &= mask - 1) n++;
    return n;
}

#define SLAB_BLOCKS 256 /* 16 KB of input between row passes: the position list stays in L1 */

/* What one pass over a slab found: separator positions appended at ``out``; line ends and carriage
 * returns counted; ``pos`` moved past the bytes read. */
typedef struct {
    Py_ssize_t *out;
    Py_ssize_t ends, crs, pos;
} Slab;

/* The slab pass, for a given 64-byte classifier: returns non-zero at the first block with a quote. */
#define SLAB_PASS_BODY(CLASSIFY)                                                                         \
    for (int blk = 0; blk < SLAB_BLOCKS && sl->pos < size; blk++) {                                      \
        uint64_t mask, nlmask;                                                                           \
        int cr, quotes;                                                                                  \
        Py_ssize_t base = sl->pos;                                                                       \
        if (size - base >= 64) {                                                                         \
            quotes = CLASSIFY(buf + base, &mask, &nlmask, &cr) != 0;                                          \
            sl->pos += 64;                                                                               \
        } else {                                                                                         \
            char tail[64];                                                                               \
            memset(tail, ' ', sizeof(tail)); /* padding that is neither a separator nor a NUL */         \
            memcpy(tail, buf + base, (size_t)(size - base));                                             \
            quotes = CLASSIFY(tail, &mask, &nlmask, &cr) != 0;                                                \
            sl->pos = size;                                                                              \
        }                                                                                                \
        sl->crs += cr;                                                                                   \
        if (quotes) {                                                                                    \
            sl->pos = base; /* the block with the quote or NUL: the caller says which */                 \
            return 1;                                                                                    \
        }                                                                                                \
        sl->out = flatten(sl->out, base, mask);                                                          \
        sl->ends += bits_set(nlmask);                                                                    \
    }                                                                                                    \
    return 0;

static int slab_pass_generic(const char *buf, Py_ssize_t size, Slab *sl) { SLAB_PASS_BODY(classify64) }

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* classify64 with two 32-byte AVX2 compares per class instead of four 16-byte ones; with BMI the bit
 * loops use tzcnt and blsr. Chosen at run time where the CPU has them (nearly every x86-64 since 2013). */
__attribute__((target("avx2,bmi,bmi2,popcnt"))) static inline int classify64_avx2(const char *p, uint64_t *seps,
                                                                                  uint64_t *nls, int *crs) {
    const __m256i comma = _mm256_set1_epi8(','), newline = _mm256_set1_epi8('\n');
    const __m256i quote = _mm256_set1_epi8('"'), creturn = _mm256_set1_epi8('\r');
    __m256i v0 = _mm256_loadu_si256((const __m256i *)p), v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i n0 = _mm256_cmpeq_epi8(v0, newline), n1 = _mm256_cmpeq_epi8(v1, newline);
    __m256i s0 = _mm256_or_si256(n0, _mm256_cmpeq_epi8(v0, comma));
    __m256i s1 = _mm256_or_si256(n1, _mm256_cmpeq_epi8(v1, comma));
    *nls = (uint64_t)(uint32_t)_mm256_movemask_epi8(n0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(n1) << 32;
    *seps = (uint64_t)(uint32_t)_mm256_movemask_epi8(s0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(s1) << 32;
    const __m256i nul = _mm256_setzero_si256();
    __m256i q = _mm256_or_si256(_mm256_cmpeq_epi8(v0, quote), _mm256_cmpeq_epi8(v1, quote));
    q = _mm256_or_si256(q, _mm256_or_si256(_mm256_cmpeq_epi8(v0, nul), _mm256_cmpeq_epi8(v1, nul)));
    __m256i r0 = _mm256_cmpeq_epi8(v0, creturn), r1 = _mm256_cmpeq_epi8(v1, creturn);
    *crs = 0;
    if (!_mm256_testz_si256(_mm256_or_si256(r0, r1), _mm256_or_si256(r0, r1))) /* rare: CRLF files */
        *crs = __builtin_popcount((uint32_t)_mm256_movemask_epi8(r0)) +
               __builtin_popcount((uint32_t)_mm256_movemask_epi8(r1));
    return !_mm256_testz_si256(q, q);
}

__attribute__((target("avx2,bmi,bmi2,popcnt"))) static int slab_pass_avx2(const char *buf, Py_ssize_t size,
                                                                           Slab *sl) {
    SLAB_PASS_BODY(classify64_avx2)
}
#endif

static int (*slab_pass)(const char *, Py_ssize_t, Slab *) = slab_pass_generic;

#ifdef HAVE_AVX2_PATH
static int avx2_usable(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
           __builtin_cpu_supports("popcnt");
}
#endif

/* Free scan_buffer's working arrays (also after a fault, when it never reached its end). */
static void free_work(ScanResult *r) {
    free(r->seps);
    free(r->lay.ids.data);
    r->seps = NULL;
    r->lay.ids.data = NULL;
}

/* A mapped file that shrinks while it is scanned (truncated by another process) raises SIGBUS on the
 * first page past its new end. Without a handler that kills the process; with this one, the scan of
 * that thread jumps back to scan_guarded and returns a reason instead. A SIGBUS outside a scan goes to
 * the handler that was there before (Python's faulthandler, or the default action). */
static __thread sigjmp_buf *bus_jump;
static struct sigaction previous_bus;

static void on_bus(int sig, siginfo_t *info, void *ctx) {
    sigjmp_buf *jb = bus_jump;
    (void)sig;
    (void)info;
    (void)ctx;
    if (jb) {
        bus_jump = NULL;
        siglongjmp(*jb, 1);
    }
    sigaction(SIGBUS, &previous_bus, NULL); /* the faulting instruction runs again, under that handler */
}

/* Install on_bus unless it is in place (called with the GIL held, so one thread at a time). */
static void guard_bus(void) {
    struct sigaction cur, sa;
    if (sigaction(SIGBUS, NULL, &cur) != 0) return;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_bus) return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &previous_bus);
}

static void scan_buffer(const char *buf, Py_ssize_t size, Py_ssize_t start, const Layout *cfg, ScanResult *r);

/* scan_buffer, with a fault on the buffer (a file truncated under its mapping) turned into a reason. */
static void scan_guarded(const char *buf, Py_ssize_t size, Py_ssize_t start, const Layout *cfg, ScanResult *r) {
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1)) {
        free_work(r);
        r->reason = "the file changed while it was read";
        return;
    }
    bus_jump = &jb;
    scan_buffer(buf, size, start, cfg, r);
    bus_jump = NULL;
}

/* The scan proper; touches no Python object, so it runs without the GIL.
 *
 * Two passes a slab: first every ',' and '\n' is found 64 bytes at a time and its position written to a
 * list; then rows are taken from the list, ncols separators at a time: a row is well formed if its
 * ncols-th separator is a line end, and its kept fields are read straight from the list, with no work
 * per skipped field. A short line followed by a long one could pass that test together, so every line
 * end is counted too: rows taken plus empty lines must equal the line ends seen. Any other line (too
 * many or too few fields) needs the general reader. */
static void scan_buffer(const char *buf, Py_ssize_t size, Py_ssize_t start, const Layout *cfg, ScanResult *r) {
    Layout *lay = &r->lay;
    *lay = *cfg;
    memset(&lay->ids, 0, sizeof(lay->ids));
    lay->buf = buf;
    int ncols = lay->ncols;

    /* separators of the slab, after those of a row not yet ended (fewer than ncols) carried over */
    Py_ssize_t *seps = r->seps = malloc(sizeof(Py_ssize_t) * ((size_t)SLAB_BLOCKS * 64 + (size_t)ncols + 2));
    Py_ssize_t crs_seen = 0, crs = 0;   /* carriage returns before a line end, and in all */
    Py_ssize_t line_ends = 0, lines = 0; /* line ends seen, and lines taken (rows and empty lines) */
    Py_ssize_t nsep = 0;
    const char *row = buf + start; /* start of the current line */
    Py_ssize_t pos = start;
    int last = 0;
    r->rows = 0;
    if (!seps) {
        r->reason = "out of memory";
        goto done;
    }
    while (!last) {
        Py_ssize_t *out = seps + nsep;
        Py_ssize_t slab_ends = 0;
        Slab slab = {out, 0, 0, pos};
        int quote = slab_pass(buf, size, &slab);
        out = slab.out;
        slab_ends = slab.ends;
        crs += slab.crs;
        pos = slab.pos;
        if (quote) { /* the block at pos holds a quote or a NUL (the tail block: its bytes before the end) */
            Py_ssize_t n = size - pos < 64 ? size - pos : 64;
            r->reason = memchr(buf + pos, 0, (size_t)n) ? "a NUL byte" : "a quote character";
            goto done;
        }
        nsep = out - seps;
        if (pos >= size) {
            /* a last line with no line end (it may end in an empty field): end it at the end of the data */
            const char *after = row;
            for (Py_ssize_t i = nsep - 1; i >= 0; i--)
                if (buf[seps[i]] == '\n') {
                    after = buf + seps[i] + 1;
                    break;
                }
            if (after < buf + size) {
                seps[nsep++] = size;
                slab_ends++;
            }
            last = 1;
        }
        line_ends += slab_ends;
        if (reserve_rows(lay, r, slab_ends) < 0) {
            r->reason = "out of memory";
            goto done;
        }
        Py_ssize_t k = 0;
        while (k < nsep) {
            Py_ssize_t end = seps[k] - (row - buf) <= 1 ? seps[k] : -1; /* a line end within a byte */
            if (end >= 0 && (end == size || buf[end] == '\n') && (buf + end == row || buf[end - 1] == '\r')) {
                if (buf + end != row) crs_seen++; /* an empty line ("" or "\r"): pyarrow skips it too */
                k += 1;
            } else if (k + ncols - 1 < nsep) {
                end = seps[k + ncols - 1];
                if (end != size && buf[end] != '\n') {
                    r->reason = "a row with the wrong number of fields";
                    goto done;
                }
                const char *last_end = buf + end;
                if (buf[end - 1] == '\r') { /* the row is not empty, so end - 1 is in it */
                    last_end--;
                    crs_seen++;
                }
                if (take_row(lay, r, row, seps + k, last_end) < 0) goto done;
                k += ncols;
            } else {
                break; /* the rest of the line is in the next slab */
            }
            lines++;
            row = buf + seps[k - 1] + 1;
        }
        memmove(seps, seps + k, sizeof(Py_ssize_t) * (size_t)(nsep - k));
        nsep -= k;
        if (nsep >= ncols) { /* a line longer than the header, not yet ended */
            r->reason = "a row with the wrong number of fields";
            goto done;
        }
    }
    if (lines != line_ends) { /* a row's separators ran past its line end: too few fields */
        r->reason = "a row with the wrong number of fields";
        goto done;
    }
    /* a carriage return anywhere but before a line end is a line break to pyarrow: let it decide */
    if (crs != crs_seen) {
        r->reason = "a carriage return inside a line";
        goto done;
    }
    if (lay->id_col >= 0 && (ids_group(&lay->ids, buf, &r->repeats) < 0 || count_cells(r) < 0))
        r->reason = "out of memory";
done:
    free_work(r);
}

/* The fields of a scan as [(codes, values)]: codes the bytes of int32 (b"" when every row has code 0),
 * values the distinct texts as bytes, in order of first appearance. */
static PyObject *fields_list(ScanResult *r) {
    int nf = r->lay.nfields;
    PyObject *fields = PyList_New(nf);
    if (!fields) return NULL;
    for (int k = 0; k < nf; k++) {
        /* a column with one value on every row (Month, Falls within, nearly always) is sent as no bytes */
        Py_ssize_t len = r->fields[k].codes.len;
        int constant = r->fields[k].dict.nvals == 1;
        for (Py_ssize_t i = 0; constant && i < len; i++) constant = r->fields[k].codes.data[i] == 0;
        PyObject *codes = PyBytes_FromStringAndSize((const char *)r->fields[k].codes.data,
                                                    constant ? 0 : (Py_ssize_t)(sizeof(int32_t) * len));
        PyObject *vals = PyList_New(r->fields[k].dict.nvals);
        if (!codes || !vals) {
            Py_XDECREF(codes);
            Py_XDECREF(vals);
            Py_DECREF(fields);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < r->fields[k].dict.nvals; i++) {
            PyObject *b = PyBytes_FromStringAndSize(r->fields[k].dict.arena + r->fields[k].dict.vals[i].off,
                                                    r->fields[k].dict.vals[i].len);
            if (!b) {
                Py_DECREF(codes);
                Py_DECREF(vals);
                Py_DECREF(fields);
                return NULL;
            }
            PyList_SET_ITEM(vals, i, b);
        }
        PyObject *pair = PyTuple_Pack(2, codes, vals);
        Py_DECREF(codes);
        Py_DECREF(vals);
        if (!pair) {
            Py_DECREF(fields);
            return NULL;
        }
        PyList_SET_ITEM(fields, k, pair);
    }
    return fields;
}

/* street()'s result: (rows, fields, repeat groups, cells). */
static PyObject *street_result(ScanResult *r) {
    PyObject *fields = fields_list(r);
    if (!fields) return NULL;
    PyObject *groups = PyList_New(r->repeats.ngroups);
    if (!groups) {
        Py_DECREF(fields);
        return NULL;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < r->repeats.ngroups; i++) {
        Py_ssize_t size = r->repeats.sizes[i];
        PyObject *b = PyBytes_FromStringAndSize((const char *)(r->repeats.rows + at),
                                                (Py_ssize_t)sizeof(int32_t) * size);
        if (!b) {
            Py_DECREF(fields);
            Py_DECREF(groups);
            return NULL;
        }
        PyList_SET_ITEM(groups, i, b);
        at += size;
    }
    PyObject *cells = PyBytes_FromStringAndSize((const char *)r->cells, (Py_ssize_t)sizeof(int32_t) * r->ncells);
    if (!cells) {
        Py_DECREF(fields);
        Py_DECREF(groups);
        return NULL;
    }
    return Py_BuildValue("(nNNN)", r->rows, fields, groups, cells);
}

/* Run the scan described by ``cfg`` (GIL released) over ``view`` and build its result with ``build``;
 * a str reason when the general reader is needed. Releases ``view``. */
static PyObject *run_scan(Py_buffer *view, Py_ssize_t start, const Layout *cfg, const int *repeats,
                          PyObject *(*build)(ScanResult *)) {
    ScanResult r;
    memset(&r, 0, sizeof(r));
    for (int k = 0; k < cfg->nfields; k++) {
        if (dict_init(&r.fields[k].dict) < 0) {
            for (int j = 0; j <= k; j++) dict_free(&r.fields[j].dict);
            PyBuffer_Release(view);
            return PyErr_NoMemory();
        }
        r.fields[k].repeats = repeats[k];
    }
    guard_bus();
    Py_BEGIN_ALLOW_THREADS scan_guarded((const char *)view->buf, view->len, start, cfg, &r);
    Py_END_ALLOW_THREADS

    r.lay.nfields = cfg->nfields; /* scan_guarded may have stopped before copying the layout */
    PyObject *out = r.reason ? PyUnicode_FromString(r.reason) : build(&r);
    for (int k = 0; k < cfg->nfields; k++) {
        dict_free(&r.fields[k].dict);
        free(r.fields[k].codes.data);
    }
    free(r.repeats.rows);
    free(r.repeats.sizes);
    free(r.cells);
    PyBuffer_Release(view);
    return out;
}

static int check_frame(Py_buffer *view, Py_ssize_t start, int ncols) {
    if (ncols < 1 || ncols > 256 || start < 0 || start > view->len) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "bad column count or start offset");
        return -1;
    }
    return 0;
}

static PyObject *csvscan_street(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start;
    int ncols;
    int cols[6];
    if (!PyArg_ParseTuple(args, "y*ni(iiiiii)", &view, &start, &ncols, &cols[0], &cols[1], &cols[2],
                          &cols[3], &cols[4], &cols[5]))
        return NULL;
    if (check_frame(&view, start, ncols) < 0) return NULL;
    if (cols[4] < cols[3]) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "the LSOA span ends before it starts");
        return NULL;
    }
    for (int i = 0; i < 6; i++)
        if (cols[i] < 0 || cols[i] >= ncols) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "column index out of range");
            return NULL;
        }
    Layout cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ncols = ncols;
    cfg.id_col = cols[0];
    cfg.nfields = NSTREET;
    cfg.date_field = -1;
    int from[NSTREET] = {1, 2, 3, 5}; /* month, force, LSOA code (to the LSOA name), crime type */
    for (int k = 0; k < NSTREET; k++) cfg.cols[k] = cfg.span_last[k] = cols[from[k]];
    cfg.span_last[LSOA] = cols[4];
    /* one month and force a file, as a rule; real files come sorted by LSOA */
    int repeats[NSTREET] = {1, 1, 1, 0};
    return run_scan(&view, start, &cfg, repeats, street_result);
}

static PyObject *fields_result(ScanResult *r) {
    PyObject *fields = fields_list(r);
    if (!fields) return NULL;
    return Py_BuildValue("(nN)", r->rows, fields);
}

static PyObject *csvscan_fields(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start;
    int ncols, date_field;
    PyObject *cols_seq;
    Py_ssize_t stop = -1;
    if (!PyArg_ParseTuple(args, "y*niOi|n", &view, &start, &ncols, &cols_seq, &date_field, &stop)) return NULL;
    if (stop >= 0 && stop < view.len) view.len = stop; /* scan [start, stop) only: a piece of a mapped file */
    if (check_frame(&view, start, ncols) < 0) return NULL;
    PyObject *seq = PySequence_Fast(cols_seq, "cols must be a sequence of column indexes");
    if (!seq) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Layout cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ncols = ncols;
    cfg.id_col = -1;
    cfg.nfields = (int)PySequence_Fast_GET_SIZE(seq);
    cfg.date_field = date_field;
    int repeats[MAXF];
    int bad = cfg.nfields < 1 || cfg.nfields > MAXF || date_field < -1 || date_field >= cfg.nfields;
    for (int k = 0; !bad && k < cfg.nfields; k++) {
        long c = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, k));
        bad = c < 0 || c >= ncols;
        cfg.cols[k] = cfg.span_last[k] = (int)c;
        repeats[k] = 1; /* extracts sorted by date or area repeat a field's value often */
    }
    Py_DECREF(seq);
    if (bad) {
        PyBuffer_Release(&view);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad field list or date field");
        return NULL;
    }
    return run_scan(&view, start, &cfg, repeats, fields_result);
}

/* simd() -> the name of the slab pass in use; simd(name) switches to "avx2" or "generic" (for tests
 * and benchmarks; ValueError if this CPU or build has no such pass). */
static PyObject *csvscan_simd(PyObject *self, PyObject *args) {
    (void)self;
    const char *name = NULL;
    if (!PyArg_ParseTuple(args, "|s", &name)) return NULL;
    if (name && strcmp(name, "generic") == 0) {
        slab_pass = slab_pass_generic;
    } else if (name) {
#ifdef HAVE_AVX2_PATH
        if (strcmp(name, "avx2") == 0 && avx2_usable()) {
            slab_pass = slab_pass_avx2;
            name = NULL;
        }
#endif
        if (name) {
            PyErr_SetString(PyExc_ValueError, "no such SIMD path on this machine");
            return NULL;
        }
    }
#ifdef HAVE_AVX2_PATH
    if (slab_pass == slab_pass_avx2) return PyUnicode_FromString("avx2");
#endif
    return PyUnicode_FromString("generic");
}

static PyMethodDef methods[] = {
    {"simd", csvscan_simd, METH_VARARGS, "simd([name]) -> the SIMD path in use (\"avx2\" or \"generic\"); name switches it"},
    {"street", csvscan_street, METH_VARARGS,
     "street(buffer, start, ncols, (id, month, force, lsoa first, lsoa last, type)) -> (rows, fields, repeat groups, cells) or a reason str"},
    {"fields", csvscan_fields, METH_VARARGS,
     "fields(buffer, start, ncols, cols, date_field[, stop]) -> (rows, fields) or a reason str"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_csvscan",
                                    "Fast path for plain (unquoted) CSVs: street-level files and record-level extracts.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__csvscan(void) {
#ifdef HAVE_AVX2_PATH
    if (avx2_usable() && !getenv("CSP_ASSESS_NO_AVX2")) slab_pass = slab_pass_avx2;
#endif
    return PyModule_Create(&module);
}
