/* Fast path for data.police.uk street-level CSVs: one pass over the bytes, no CSV tokenizer.
 *
 * Why: pyarrow's reader spends ~45 ms of CPU per 17 MB monthly file tokenizing twelve columns to keep
 * five, and the aggregation then hashes every row's strings again. This scanner finds the five fields
 * with memchr, dictionary-encodes them as it goes, and checks Crime IDs for repeats, with the GIL
 * released, so two files are scanned at once.
 *
 * It handles only the plain case: no quote character in the file, every non-empty
 * line with exactly the header's number of fields, line ends "\n" or "\r\n", Crime IDs ASCII. Rows that
 * share a Crime ID are returned as groups, for the caller's rule. Anything else returns a reason string, and the caller reads the file with the general
 * (pyarrow) reader, which applies the reject rules and gives line numbers. So every figure this path
 * gives is one the general reader would give: the tests compare the two on real and malformed files.
 *
 * scan(buffer, start, ncols, (id_col, month_col, force_col, lsoa_col, type_col))
 *   -> (rows, [(codes: bytes of int32, or b"" if all 0, values: list[bytes]) x 4 for month, force, area, type],
 *       [rows sharing one Crime ID: bytes of int32, ascending] for each repeated ID,
 *       cells: bytes of int32, or b"" if the grid would be too large)
 *   or a str saying why the general reader is needed.
 * Codes index the values in order of first appearance; -1 is an empty field (pyarrow's null).
 * ``cells`` counts the rows of each (month, force, area, type) combination, row-major over a grid whose
 * dimensions are each column's number of values + 1, the last index standing for an empty field: so the
 * caller works per combination (hundreds), not per row, and touches rows only for rejects.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NFIELDS 4 /* month, force, lsoa, type: dictionary-encoded */
#define MONTH 0
#define FORCE 1
#define LSOA 2 /* its values are turned into areas before they are returned */

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

static inline int codes_push(Codes *c, int32_t v) {
    if (c->len == c->cap) {
        int32_t *nd = grown(c->data, &c->cap, c->len + 1, sizeof(int32_t), 65536);
        if (!nd) return -1;
        c->data = nd;
    }
    c->data[c->len++] = v;
    return 0;
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

static int ids_push(Ids *h, uint64_t hash, Py_ssize_t off, Py_ssize_t len, Py_ssize_t row) {
    IdEntry *nd = grown(h->data, &h->cap, h->len + 1, sizeof(IdEntry), 65536);
    if (!nd) return -1;
    h->data = nd;
    if (len > INT32_MAX || row > INT32_MAX) return -1;
    IdEntry *e = &h->data[h->len++];
    e->hash = hash;
    e->off = off;
    e->len = (int32_t)len;
    e->row = (int32_t)row;
    return 0;
}

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

static inline __attribute__((always_inline)) int column_add(Column *c, const char *p, Py_ssize_t n) {
    int32_t code;
    if (c->repeats && c->last_ptr && n == c->last_len && same_bytes(p, c->last_ptr, n)) {
        code = c->last_code;
    } else {
        code = dict_code(&c->dict, p, n);
        if (code == -2) return -1;
        c->last_ptr = p;
        c->last_len = n;
        c->last_code = code;
    }
    return codes_push(&c->codes, code);
}

typedef struct {
    const char *reason; /* NULL on success */
    Py_ssize_t rows;
    Column fields[NFIELDS];
    Groups repeats;
    int32_t *cells; /* NULL when the grid would be too large */
    Py_ssize_t ncells;
} ScanResult;

#define MAX_CELLS ((Py_ssize_t)1 << 20) /* 4 MB of counts: far beyond real files (~1,000 cells) */

/* Rows per (month, force, area, type) combination; see the top of the file. 0, or -1 when out of memory. */
static int count_cells(ScanResult *r) {
    Py_ssize_t dim[NFIELDS], total = 1;
    const int32_t *codes[NFIELDS];
    for (int k = 0; k < NFIELDS; k++) {
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
        for (int k = 0; k < NFIELDS; k++) {
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
    __m128i quotes = _mm_setzero_si128(), returns = _mm_setzero_si128();
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i nl = _mm_cmpeq_epi8(v, newline);
        n |= (uint64_t)(uint32_t)_mm_movemask_epi8(nl) << (16 * i);
        s |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_or_si128(nl, _mm_cmpeq_epi8(v, comma))) << (16 * i);
        quotes = _mm_or_si128(quotes, _mm_cmpeq_epi8(v, quote));
        returns = _mm_or_si128(returns, _mm_cmpeq_epi8(v, creturn));
    }
    q = (uint64_t)_mm_movemask_epi8(quotes); /* only whether there is one matters */
    if (_mm_movemask_epi8(returns)) /* rare (CRLF files): count them */
        for (int i = 0; i < 64; i++) cr += p[i] == '\r';
#else
    for (int i = 0; i < 64; i++) {
        if (p[i] == '\n') n |= 1ULL << i;
        if (p[i] == ',' || p[i] == '\n') s |= 1ULL << i;
        if (p[i] == '"') q |= 1ULL << i;
        cr += p[i] == '\r';
    }
#endif
    *seps = s;
    *nls = n;
    *crs = cr;
    return q;
}

/* What a field is for, by column: most are only counted past. */
enum { SKIP = 0, CRIME_ID = 1, ENCODE = 2 /* + the dictionary column */, TOO_MANY = 2 + NFIELDS };

typedef struct {
    unsigned char action[257]; /* per column; action[ncols] is TOO_MANY */
    int ncols;
    Ids ids;
    const char *buf;
} Layout;

/* Field [f, fe) is column ``col`` of its row: hash it (Crime ID) or encode it. 0, or -1 with a reason. */
static inline __attribute__((always_inline)) int take_field(Layout *lay, ScanResult *r, int col, const char *f,
                                                          const char *fe) {
    int action = lay->action[col];
    if (action == SKIP) return 0;
    if (action == TOO_MANY) {
        r->reason = "a row with the wrong number of fields";
        return -1;
    }
    if (action == CRIME_ID) {
        Py_ssize_t n = fe - f;
        if (!n) return 0;
        int ascii;
        uint64_t h = hash_ascii(f, n, &ascii);
        if (!ascii) {
            r->reason = "a Crime ID that is not ASCII";
            return -1;
        }
        if (ids_push(&lay->ids, h, f - lay->buf, n, r->rows) < 0) {
            r->reason = "out of memory";
            return -1;
        }
    } else {
        if (column_add(&r->fields[action - ENCODE], f, fe - f) < 0) {
            r->reason = "out of memory";
            return -1;
        }
    }
    return 0;
}

/* The row that ends at ``sep`` (a newline, or the end of the buffer). 0, or -1 with a reason. */
static inline int end_row(Layout *lay, ScanResult *r, int col, const char *f, const char *sep,
                          Py_ssize_t *crs_seen) {
    const char *fe = sep;
    if (fe > f && fe[-1] == '\r') {
        fe--;
        (*crs_seen)++;
    }
    if (col == 0 && fe == f) return 0; /* an empty line: pyarrow skips it too */
    if (take_field(lay, r, col, f, fe) < 0) return -1;
    if (col + 1 != lay->ncols) {
        r->reason = "a row with the wrong number of fields";
        return -1;
    }
    r->rows++;
    return 0;
}

static int lsoa_to_areas(Column *c);

/* The scan proper; touches no Python object, so it runs without the GIL. Every ',' and '\n' is found 64
 * bytes at a time and ends a field; a field no column needs costs a table lookup. */
static void scan_buffer(const char *buf, Py_ssize_t size, Py_ssize_t start, int ncols, const int *cols,
                        ScanResult *r) {
    Layout lay;
    lay.ncols = ncols;
    lay.ids.data = NULL;
    lay.buf = buf;
    lay.ids.len = lay.ids.cap = 0;
    memset(lay.action, SKIP, sizeof(lay.action));
    lay.action[cols[0]] = CRIME_ID;
    for (int k = 0; k < NFIELDS; k++) lay.action[cols[k + 1]] = (unsigned char)(ENCODE + k);
    lay.action[ncols] = TOO_MANY;

    Py_ssize_t crs_seen = 0, crs = 0; /* carriage returns before a newline, and in all */
    const char *f = buf + start; /* start of the current field */
    int col = 0;
    Py_ssize_t pos = start;
    r->rows = 0;
    while (pos < size) {
        Py_ssize_t base = pos;
        uint64_t mask, nls, quotes;
        int cr;
        if (size - pos >= 64) {
            quotes = classify64(buf + pos, &mask, &nls, &cr);
            pos += 64;
        } else {
            char tail[64] = {0};
            memcpy(tail, buf + pos, (size_t)(size - pos));
            quotes = classify64(tail, &mask, &nls, &cr);
            pos = size;
        }
        crs += cr;
        if (quotes) {
            r->reason = "a quote character";
            goto done;
        }
        while (mask) {
            int bit = __builtin_ctzll(mask);
            const char *sep = buf + base + bit;
            mask &= mask - 1;
            if (!((nls >> bit) & 1u)) {
                if (take_field(&lay, r, col, f, sep) < 0) goto done;
                col++;
            } else {
                if (end_row(&lay, r, col, f, sep, &crs_seen) < 0) goto done;
                col = 0;
            }
            f = sep + 1;
        }
    }
    /* a last line with no newline (it may end in an empty field, as police.uk rows do) */
    if ((f < buf + size || col > 0) && end_row(&lay, r, col, f, buf + size, &crs_seen) < 0) goto done;
    /* a carriage return anywhere but before a newline is a line break to pyarrow: let it decide */
    if (crs != crs_seen) {
        r->reason = "a carriage return inside a line";
        goto done;
    }
    if (ids_group(&lay.ids, buf, &r->repeats) < 0 || lsoa_to_areas(&r->fields[LSOA]) < 0 || count_cells(r) < 0)
        r->reason = "out of memory";
done:
    free(lay.ids.data);
}

/* LSOA names -> areas (local authorities), per distinct name, then every row's code remapped: Python
 * then gets ~12 areas, not ~5,000 names a file. The rule is police_uk.area_of_lsoa's, done here only for
 * names of printable ASCII (where its whitespace is the space alone): strip spaces, then drop a trailing
 * run of spaces + three digits + a capital ("Barking and Dagenham 001A"). Any other name becomes the key
 * "\0" + the name, for Python to apply the rule to. 0, or -1 when out of memory. */
static int lsoa_to_areas(Column *c) {
    Dict areas;
    if (dict_init(&areas) < 0) {
        dict_free(&areas);
        return -1;
    }
    Py_ssize_t nv = c->dict.nvals;
    int32_t *map = malloc(sizeof(int32_t) * (size_t)(nv ? nv : 1));
    char *raw = NULL;
    Py_ssize_t raw_cap = 0;
    int rc = 0;
    if (!map) {
        rc = -1;
        goto out;
    }
    for (Py_ssize_t i = 0; i < nv; i++) {
        const char *v = c->dict.arena + c->dict.vals[i].off;
        Py_ssize_t n = c->dict.vals[i].len, lo = 0, hi = n;
        int printable = 1;
        for (Py_ssize_t j = 0; j < n && printable; j++) printable = v[j] >= 0x20 && v[j] <= 0x7e;
        while (printable && lo < hi && v[lo] == ' ') lo++;
        while (printable && hi > lo && v[hi - 1] == ' ') hi--;
        int32_t code;
        if (printable && hi - lo >= 6 && v[hi - 1] >= 'A' && v[hi - 1] <= 'Z' && v[hi - 2] >= '0' &&
            v[hi - 2] <= '9' && v[hi - 3] >= '0' && v[hi - 3] <= '9' && v[hi - 4] >= '0' && v[hi - 4] <= '9' &&
            v[hi - 5] == ' ') {
            Py_ssize_t e = hi - 5; /* v[lo] is not a space, so the area before the spaces is not empty */
            while (v[e - 1] == ' ') e--;
            code = dict_code(&areas, v + lo, e - lo);
        } else if (printable && lo < hi) {
            code = dict_code(&areas, v + lo, hi - lo); /* no code to drop: the stripped name */
        } else {
            char *nr = grown(raw, &raw_cap, n + 1, 1, 256);
            if (!nr) {
                rc = -1;
                goto out;
            }
            raw = nr;
            raw[0] = '\0';
            memcpy(raw + 1, v, (size_t)n);
            code = dict_code(&areas, raw, n + 1);
        }
        if (code < 0) {
            rc = -1;
            goto out;
        }
        map[i] = code;
    }
    for (Py_ssize_t r = 0; r < c->codes.len; r++)
        if (c->codes.data[r] >= 0) c->codes.data[r] = map[c->codes.data[r]];
    dict_free(&c->dict);
    c->dict = areas;
    areas.slots = NULL; /* now owned by c->dict */
    areas.hashes = NULL;
    areas.vals = NULL;
    areas.arena = NULL;
out:
    dict_free(&areas);
    free(map);
    free(raw);
    return rc;
}

static PyObject *build_result(ScanResult *r) {
    PyObject *fields = PyList_New(NFIELDS);
    if (!fields) return NULL;
    for (int k = 0; k < NFIELDS; k++) {
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

static PyObject *streetscan_scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    Py_ssize_t start;
    int ncols;
    int cols[5];
    if (!PyArg_ParseTuple(args, "y*ni(iiiii)", &view, &start, &ncols, &cols[0], &cols[1], &cols[2],
                          &cols[3], &cols[4]))
        return NULL;
    if (ncols < 1 || ncols > 256 || start < 0 || start > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "bad column count or start offset");
        return NULL;
    }
    for (int i = 0; i < 5; i++)
        if (cols[i] < 0 || cols[i] >= ncols) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "column index out of range");
            return NULL;
        }
    ScanResult r;
    memset(&r, 0, sizeof(r));
    for (int k = 0; k < NFIELDS; k++)
        if (dict_init(&r.fields[k].dict) < 0) {
            for (int j = 0; j <= k; j++) dict_free(&r.fields[j].dict);
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
    r.fields[MONTH].repeats = r.fields[FORCE].repeats = 1; /* one month and force a file, as a rule */
    Py_BEGIN_ALLOW_THREADS scan_buffer((const char *)view.buf, view.len, start, ncols, cols, &r);
    Py_END_ALLOW_THREADS

    PyObject *out = r.reason ? PyUnicode_FromString(r.reason) : build_result(&r);
    for (int k = 0; k < NFIELDS; k++) {
        dict_free(&r.fields[k].dict);
        free(r.fields[k].codes.data);
    }
    free(r.repeats.rows);
    free(r.repeats.sizes);
    free(r.cells);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", streetscan_scan, METH_VARARGS,
     "scan(buffer, start, ncols, (id, month, force, lsoa, type)) -> (rows, fields, repeat groups, cells) or a reason str"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_streetscan",
                                    "Fast path for plain data.police.uk street-level CSVs.", -1, methods};

PyMODINIT_FUNC PyInit__streetscan(void) { return PyModule_Create(&module); }
