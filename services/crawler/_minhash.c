/* The one-permutation MinHash signature of services/crawler/fingerprint.py, in C.
 *
 * fingerprint.py defines the signature (and prepares the text: lower-cased, punctuation and
 * whitespace removed); this file computes it without a Python object per shingle.  For each
 * run of `shingle` consecutive characters (the whole text when it is not longer), the 8-byte
 * BLAKE2b digest of its UTF-8 bytes, read as a big-endian integer h, puts h >> log2(bins) into
 * bin h & (bins - 1), which keeps its minimum (starting from `empty`, which fingerprint.py
 * chooses above every value of its 64 bins).  A shingle that occurs twice changes nothing, so
 * the runs are not deduplicated first.
 *
 * BLAKE2b (RFC 7693) with an 8-byte digest, no key: a shingle of at most 32 characters is at
 * most 128 UTF-8 bytes, one block, so the digest is a single compression of that block.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_SHINGLE 32 /* 4 bytes per character at most: one 128-byte block */
#define MAX_BINS 1024
_Static_assert(MAX_SHINGLE * 4 <= 128, "a shingle must fit one BLAKE2b block");

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t SIGMA[10][16] = { /* round r uses row r mod 10 */
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load_le(const unsigned char *p) {
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) {
        x = (x << 8) | p[i];
    }
    return x;
}

#define G(a, b, c, d, x, y)           \
    do {                              \
        v[a] = v[a] + v[b] + (x);     \
        v[d] = rotr(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];           \
        v[b] = rotr(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);     \
        v[d] = rotr(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];           \
        v[b] = rotr(v[b] ^ v[c], 63); \
    } while (0)

/* the first word of BLAKE2b's state after compressing the one, last, block `m` of `len` bytes */
static inline __attribute__((always_inline)) uint64_t compress(const uint64_t m[16], size_t len) {
    uint64_t v[16];
    for (int i = 0; i < 8; i++) {
        v[i] = IV[i];
        v[i + 8] = IV[i];
    }
    v[0] ^= 0x01010000ULL ^ 8; /* parameter block: digest length 8, no key, fan-out and depth 1 */
    const uint64_t h0 = v[0];
    v[12] ^= (uint64_t)len; /* bytes compressed so far */
    v[14] = ~v[14];         /* the last block */
#pragma GCC unroll 12
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = SIGMA[r % 10];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    return h0 ^ v[0] ^ v[8];
}

/* int.from_bytes(blake2b(data, digest_size=8).digest(), "big") for len <= 128 */
static uint64_t digest64(const char *data, size_t len) {
    unsigned char block[128] = {0};
    memcpy(block, data, len);
    uint64_t out;
    if (len <= 24) { /* a shingle of 5 characters: the other 13 words are zero, and known so */
        const uint64_t m[16] = {load_le(block), load_le(block + 8), load_le(block + 16)};
        out = compress(m, len);
    } else {
        uint64_t m[16];
        for (int i = 0; i < 16; i++) {
            m[i] = load_le(block + 8 * i);
        }
        out = compress(m, len);
    }
    uint64_t big = 0; /* the digest's bytes are out's little-endian bytes */
    for (int i = 0; i < 8; i++) {
        big = (big << 8) | ((out >> (8 * i)) & 0xff);
    }
    return big;
}

/* bytes of the UTF-8 character that starts with `lead` */
static inline Py_ssize_t char_bytes(unsigned char lead) {
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

static PyObject *signature(PyObject *module, PyObject *args) {
    PyObject *text, *empty_value;
    Py_ssize_t shingle, bins;
    (void)module;
    if (!PyArg_ParseTuple(args, "UnnO!:signature", &text, &shingle, &bins, &PyLong_Type,
                          &empty_value)) {
        return NULL;
    }
    const unsigned long long empty = PyLong_AsUnsignedLongLong(empty_value);
    if (empty == (unsigned long long)-1 && PyErr_Occurred()) { /* negative, or 2**64 and up */
        return NULL;
    }
    if (shingle < 1 || shingle > MAX_SHINGLE || bins < 1 || bins > MAX_BINS ||
        (bins & (bins - 1)) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "shingle must be 1..%d characters and bins a power of two up to %d",
                     MAX_SHINGLE, MAX_BINS);
        return NULL;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size); /* raises on lone surrogates */
    if (utf8 == NULL) {
        return NULL;
    }
    const Py_ssize_t chars = PyUnicode_GET_LENGTH(text);
    int shift = 0;
    while (((Py_ssize_t)1 << shift) < bins) {
        shift++;
    }
    uint64_t mins[MAX_BINS];
    for (Py_ssize_t i = 0; i < bins; i++) {
        mins[i] = empty;
    }
    const uint64_t slot_mask = (uint64_t)bins - 1;
#define KEEP(h)                                    \
    do {                                           \
        const uint64_t h_ = (h);                   \
        const uint64_t value_ = h_ >> shift;       \
        if (value_ < mins[h_ & slot_mask]) {       \
            mins[h_ & slot_mask] = value_;         \
        }                                          \
    } while (0)
    if (chars > 0 && chars <= shingle) {
        KEEP(digest64(utf8, (size_t)size));
    } else if (chars > shingle) {
        Py_ssize_t start = 0, end = 0;
        for (Py_ssize_t i = 0; i < shingle; i++) {
            end += char_bytes((unsigned char)utf8[end]);
        }
        for (;;) {
            KEEP(digest64(utf8 + start, (size_t)(end - start)));
            if (end >= size) {
                break;
            }
            start += char_bytes((unsigned char)utf8[start]);
            end += char_bytes((unsigned char)utf8[end]);
        }
    }
#undef KEEP
    PyObject *result = PyTuple_New(bins);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < bins; i++) {
        PyObject *value = PyLong_FromUnsignedLongLong(mins[i]);
        if (value == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, value);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"signature", signature, METH_VARARGS,
     "signature(text, shingle, bins, empty, /) -> the MinHash signature, one value per bin: "
     "the smallest below `empty` that fell into it, else `empty`; see "
     "services/crawler/fingerprint.py"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_minhash", "MinHash signatures (see services/crawler/fingerprint.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__minhash(void) { return PyModule_Create(&module_def); }
