/* Sentence splitting in C: the loop of services/extractor/sentences.py, one pass over the text.
 *
 * The definitions (which characters end a sentence, which close it, which words end with an
 * abbreviation's period, how long a sentence may be) stay in sentences.py and arrive as
 * arguments; this file only walks the text.  Characters are compared as code points and white
 * space is Python's (str.isspace), so offsets and results equal the regular expressions'.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }

/* A set of characters: a table for ASCII, a short list for the rest. */
#define WIDE_MAX 16
typedef struct {
    unsigned char ascii[128];
    Py_UCS4 wide[WIDE_MAX];
    int wide_count;
} CharSet;

static int char_set(PyObject *chars, CharSet *set) {
    memset(set, 0, sizeof(*set));
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(chars); i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(chars, i);
        if (c < 128) {
            set->ascii[c] = 1;
        } else if (set->wide_count < WIDE_MAX) {
            set->wide[set->wide_count++] = c;
        } else {
            PyErr_SetString(PyExc_ValueError, "too many non-ASCII characters in a set");
            return -1;
        }
    }
    return 0;
}

static inline int in_set(const CharSet *set, Py_UCS4 c) {
    if (c < 128) {
        return set->ascii[c];
    }
    for (int i = 0; i < set->wide_count; i++) {
        if (set->wide[i] == c) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    CharSet terminators; /* characters that end a sentence before white space */
    CharSet closers;     /* closing quotes and brackets after them */
    PyObject *abbreviations;
    Py_ssize_t max_sentence;
} Rules;

/* The first sentence end starting at or after `from`: a line break, or a run of terminators and
 * closers before white space or the end.  Sets *group_end (after the end's characters) and
 * *match_end (after the white space that follows); returns the end's start, or -1. */
static Py_ssize_t find_end(const Text *t, const Rules *r, Py_ssize_t from, Py_ssize_t *group_end,
                           Py_ssize_t *match_end) {
    for (Py_ssize_t s = from; s < t->length; s++) {
        Py_UCS4 c = at(t, s);
        Py_ssize_t j;
        if (c == '\n') {
            j = s + 1;
        } else if (in_set(&r->terminators, c)) {
            j = s + 1;
            while (j < t->length && in_set(&r->terminators, at(t, j))) {
                j++;
            }
            while (j < t->length && in_set(&r->closers, at(t, j))) {
                j++;
            }
            if (j < t->length && !Py_UNICODE_ISSPACE(at(t, j))) {
                continue;
            }
        } else {
            continue;
        }
        *group_end = j;
        while (j < t->length && Py_UNICODE_ISSPACE(at(t, j))) {
            j++;
        }
        *match_end = j;
        return s;
    }
    return -1;
}

static Py_ssize_t next_non_space(const Text *t, Py_ssize_t from) {
    for (Py_ssize_t i = from; i < t->length; i++) {
        if (!Py_UNICODE_ISSPACE(at(t, i))) {
            return i;
        }
    }
    return -1;
}

static int is_word(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c) || c == '_'; }

/* Whether text[:end] ends with one of the abbreviations, a word boundary before it, and '.'. */
static int abbreviation(const Text *t, const Rules *r, Py_ssize_t end) {
    if (end < 2) {
        return 0;
    }
    Py_UCS4 last = at(t, end - 2);
    if (!((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z'))) {
        return 0;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(r->abbreviations);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *word = PyTuple_GET_ITEM(r->abbreviations, k);
        Py_ssize_t n = PyUnicode_GET_LENGTH(word);
        Py_ssize_t begin = end - 1 - n;
        if (begin < 0) {
            continue;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t i = 0;
        while (i < n && PyUnicode_READ(kind, data, i) == at(t, begin + i)) {
            i++;
        }
        if (i == n && (begin == 0 || !is_word(at(t, begin - 1)))) {
            return 1;
        }
    }
    return 0;
}

static Py_ssize_t count_newlines(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t n = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        n += at(t, i) == '\n';
    }
    return n;
}

static int append(PyObject *list, PyTypeObject *type, Py_ssize_t start, Py_ssize_t end,
                  Py_ssize_t paragraph) {
    /* An instance of the tuple subtype, filled as tuple.__new__ fills one. */
    PyObject *item = type->tp_alloc(type, 3);
    if (item == NULL) {
        return -1;
    }
    Py_ssize_t values[3] = {start, end, paragraph};
    for (int i = 0; i < 3; i++) {
        PyObject *number = PyLong_FromSsize_t(values[i]);
        if (number == NULL) {
            Py_DECREF(item);
            return -1;
        }
        PyTuple_SET_ITEM(item, i, number);
    }
    int failed = PyList_Append(list, item);
    Py_DECREF(item);
    return failed;
}

static PyObject *split(PyObject *module, PyObject *args) {
    PyObject *text, *type, *terminators, *closers;
    Rules r;
    (void)module;
    if (!PyArg_ParseTuple(args, "UO!UUO!n", &text, &PyType_Type, &type, &terminators,
                          &closers, &PyTuple_Type, &r.abbreviations, &r.max_sentence)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)type, &PyTuple_Type) || r.max_sentence < 1) {
        PyErr_SetString(PyExc_ValueError, "a tuple type and a positive sentence length expected");
        return NULL;
    }
    if (char_set(terminators, &r.terminators) < 0 || char_set(closers, &r.closers) < 0) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(r.abbreviations); k++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(r.abbreviations, k))) {
            PyErr_SetString(PyExc_TypeError, "abbreviations must be strings");
            return NULL;
        }
    }
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    PyObject *sentences = PyList_New(0);
    if (sentences == NULL) {
        return NULL;
    }
    Py_ssize_t begin = next_non_space(&t, 0);
    Py_ssize_t found = -2, group_end = 0, match_end = 0; /* -2: not searched yet; -1: none left */
    Py_ssize_t paragraph = 0, start = -1, previous_end = 0, end = 0;
    while (begin >= 0) {
        Py_ssize_t next;
        if (found == -2 || (found >= 0 && found <= begin)) {
            found = find_end(&t, &r, begin + 1, &group_end, &match_end);
        }
        if (found < 0 || found - begin >= r.max_sentence) {
            end = begin + r.max_sentence < t.length ? begin + r.max_sentence : t.length;
            next = next_non_space(&t, end);
        } else {
            end = at(&t, found) == '\n' ? found : group_end;
            next = match_end < t.length ? match_end : -1;
        }
        while (Py_UNICODE_ISSPACE(at(&t, end - 1))) {
            end--;
        }
        if (start < 0) {
            if (PyList_GET_SIZE(sentences) > 0 && count_newlines(&t, previous_end, begin) > 1) {
                paragraph++;
            }
            start = begin;
        }
        if (!(at(&t, end - 1) == '.' && end < t.length && at(&t, end) == ' ' &&
              end - start < r.max_sentence && abbreviation(&t, &r, end))) {
            if (append(sentences, (PyTypeObject *)type, start, end, paragraph) < 0) {
                Py_DECREF(sentences);
                return NULL;
            }
            previous_end = end;
            start = -1;
        }
        begin = next;
    }
    if (start >= 0 && append(sentences, (PyTypeObject *)type, start, end, paragraph) < 0) {
        Py_CLEAR(sentences);
    }
    return sentences;
}

static PyMethodDef methods[] = {
    {"split", split, METH_VARARGS,
     "split(text, sentence_type, terminators, closers, abbreviations, max_sentence)\n"
     "-> list of sentence_type(start, end, paragraph)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_split", "Sentence splitting (see services/extractor/sentences.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__split(void) { return PyModule_Create(&module_def); }
