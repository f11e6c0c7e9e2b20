/* Every occurrence of a set of words in a text, in C: the walk of services/core/scanner.py.
 *
 * The automaton (an Aho-Corasick machine over code points) is built in scanner.py, which
 * defines it; this file only walks a text through it.  The walk reads the str's own code units
 * (no encoding), so offsets are character offsets and any str, lone surrogates and characters
 * beyond the Basic Multilingual Plane included, is read as it is.
 *
 * Tables (uint32 arrays in the machine's byte order, in bytes objects):
 *   root     per code point below 65536, the state the root moves to on it (0: none)
 *   slots    the other transitions, a hash table of (state + 1, code point, next state) triples;
 *            state + 1 == 0 marks an empty slot; slot = hash(state, code point) & mask, then on
 *   fail     per state, the state of its longest proper suffix that is a prefix of a word
 *   first    per state and one more, where its words start in `words` (`first[s]..first[s+1]`:
 *            the words ending at state s, its own first and then its suffixes', longest first)
 *   words    word indexes
 *   lengths  per word index, its length in code points
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define EMPTY 0u

typedef struct {
    PyObject_HEAD
    PyObject *tables; /* the tuple the tables came in: keeps their buffers alive */
    const uint32_t *root, *slots, *fail, *first, *words, *lengths;
    uint32_t mask;
    PyObject *payloads; /* a tuple: one object per word index */
} Automaton;

typedef struct {
    Py_ssize_t start, end;
    uint32_t word;
} Found;

static inline uint32_t slot_of(uint32_t state, uint32_t c, uint32_t mask) {
    return ((state * 2654435761u) ^ (c * 2246822519u)) & mask;
}

static inline uint32_t next_state(const Automaton *a, uint32_t state, uint32_t c, int *found) {
    for (uint32_t i = slot_of(state, c, a->mask);; i = (i + 1) & a->mask) {
        const uint32_t *slot = a->slots + 3 * (size_t)i;
        if (slot[0] == EMPTY) {
            *found = 0;
            return 0;
        }
        if (slot[0] == state + 1 && slot[1] == c) {
            *found = 1;
            return slot[2];
        }
    }
}

static const uint32_t *table(PyObject *tables, Py_ssize_t index, Py_ssize_t count) {
    PyObject *item = PyTuple_GET_ITEM(tables, index);
    if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) != count * 4) {
        PyErr_Format(PyExc_ValueError, "table %zd: %zd uint32 expected", index, count);
        return NULL;
    }
    return (const uint32_t *)PyBytes_AS_STRING(item);
}

static int automaton_traverse(Automaton *self, visitproc visit, void *arg) {
    Py_VISIT(self->payloads);
    return 0;
}

static int automaton_clear(Automaton *self) {
    Py_CLEAR(self->payloads);
    return 0;
}

static void automaton_dealloc(Automaton *self) {
    PyObject_GC_UnTrack(self);
    Py_XDECREF(self->tables);
    automaton_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Automaton((root, slots, fail, first, words, lengths), mask, payloads) */
static PyObject *automaton_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *tables, *payloads;
    unsigned long mask;
    static char *keywords[] = {"tables", "mask", "payloads", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!kO!", keywords, &PyTuple_Type, &tables,
                                     &mask, &PyTuple_Type, &payloads)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(tables) != 6 || mask > 0x7fffffffUL || (mask & (mask + 1)) != 0) {
        PyErr_SetString(PyExc_ValueError, "six tables and a mask of 2**k - 1 expected");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < 6; i++) {
        PyObject *item = PyTuple_GET_ITEM(tables, i);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) % 4 != 0) {
            PyErr_SetString(PyExc_ValueError, "tables must be bytes of uint32");
            return NULL;
        }
    }
    Py_ssize_t states = PyBytes_GET_SIZE(PyTuple_GET_ITEM(tables, 2)) / 4;
    Py_ssize_t words = PyTuple_GET_SIZE(payloads);
    Py_ssize_t outputs = PyBytes_GET_SIZE(PyTuple_GET_ITEM(tables, 4)) / 4;
    Automaton *self = (Automaton *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->mask = (uint32_t)mask;
    if ((self->root = table(tables, 0, 65536)) == NULL ||
        (self->slots = table(tables, 1, 3 * ((Py_ssize_t)mask + 1))) == NULL ||
        (self->fail = table(tables, 2, states)) == NULL ||
        (self->first = table(tables, 3, states + 1)) == NULL ||
        (self->words = table(tables, 4, outputs)) == NULL ||
        (self->lengths = table(tables, 5, words)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    /* Every index the walk follows must stay inside its table, and a probe must end. */
    int empty = 0;
    for (Py_ssize_t i = 0; i <= (Py_ssize_t)mask; i++) {
        const uint32_t *slot = self->slots + 3 * i;
        empty |= slot[0] == EMPTY;
        if (slot[0] != EMPTY && (slot[0] > (uint32_t)states || slot[2] >= (uint32_t)states)) {
            PyErr_SetString(PyExc_ValueError, "a transition leaves the automaton");
            Py_DECREF(self);
            return NULL;
        }
    }
    if (!empty) {
        PyErr_SetString(PyExc_ValueError, "a transition table without an empty slot");
        Py_DECREF(self);
        return NULL;
    }
    for (Py_ssize_t c = 0; c < 65536; c++) {
        if (self->root[c] >= (uint32_t)states) {
            PyErr_SetString(PyExc_ValueError, "a root transition leaves the automaton");
            Py_DECREF(self);
            return NULL;
        }
    }
    for (Py_ssize_t s = 0; s < states; s++) {
        if (self->fail[s] >= (uint32_t)states || self->first[s] > self->first[s + 1]) {
            PyErr_SetString(PyExc_ValueError, "a bad failure link or word range");
            Py_DECREF(self);
            return NULL;
        }
    }
    /* Failure links lead to the root (the walk follows them without reading a character):
     * each state's chain is followed until it meets a state known to reach the root, in
     * linear time; a chain longer than the states has a cycle. */
    unsigned char *reaches = PyMem_Calloc((size_t)states, 1);
    if (reaches == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    reaches[0] = 1;
    for (Py_ssize_t s = 1; s < states; s++) {
        uint32_t t = (uint32_t)s;
        Py_ssize_t steps = 0;
        while (!reaches[t] && steps <= states) {
            t = self->fail[t];
            steps++;
        }
        if (!reaches[t]) {
            PyMem_Free(reaches);
            PyErr_SetString(PyExc_ValueError, "a failure link cycle");
            Py_DECREF(self);
            return NULL;
        }
        for (t = (uint32_t)s; !reaches[t]; t = self->fail[t]) {
            reaches[t] = 1;
        }
    }
    PyMem_Free(reaches);
    if (states == 0 || self->first[states] > (uint32_t)outputs) {
        PyErr_SetString(PyExc_ValueError, "word ranges beyond the word table");
        Py_DECREF(self);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < outputs; k++) {
        if (self->words[k] >= (uint32_t)words) {
            PyErr_SetString(PyExc_ValueError, "a word index beyond the payloads");
            Py_DECREF(self);
            return NULL;
        }
    }
    for (Py_ssize_t w = 0; w < words; w++) {
        if (self->lengths[w] == 0) {
            PyErr_SetString(PyExc_ValueError, "a word of no characters");
            Py_DECREF(self);
            return NULL;
        }
    }
    Py_INCREF(tables);
    self->tables = tables;
    Py_INCREF(payloads);
    self->payloads = payloads;
    return (PyObject *)self;
}

static int by_start_longest_first(const void *left, const void *right) {
    const Found *a = left, *b = right;
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    return a->end > b->end ? -1 : a->end < b->end;
}

static PyObject *occurrences(Automaton *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "a str expected");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
    if (self->payloads == NULL) {
        PyErr_SetString(PyExc_ValueError, "a cleared automaton");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t count = 0, capacity = 64;
    Found *found = PyMem_Malloc(capacity * sizeof(Found));
    if (found == NULL) {
        return PyErr_NoMemory();
    }
    uint32_t state = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        uint32_t c = PyUnicode_READ(kind, data, i);
        for (;;) {
            int moved;
            if (state == 0 && c < 65536) {
                state = self->root[c];
                break;
            }
            uint32_t next = next_state(self, state, c, &moved);
            if (moved || state == 0) {
                state = next; /* 0 when the root has no move on c */
                break;
            }
            state = self->fail[state];
        }
        for (uint32_t k = self->first[state]; k < self->first[state + 1]; k++) {
            if (count == capacity) {
                Found *grown = PyMem_Realloc(found, 2 * capacity * sizeof(Found));
                if (grown == NULL) {
                    PyMem_Free(found);
                    return PyErr_NoMemory();
                }
                found = grown;
                capacity *= 2;
            }
            uint32_t word = self->words[k];
            if ((Py_ssize_t)self->lengths[word] > i + 1) {
                PyMem_Free(found);
                PyErr_SetString(PyExc_ValueError, "a word longer than the text it ends in");
                return NULL;
            }
            found[count].start = i + 1 - (Py_ssize_t)self->lengths[word];
            found[count].end = i + 1;
            found[count].word = word;
            count++;
        }
    }
    qsort(found, (size_t)count, sizeof(Found), by_start_longest_first);
    PyObject *list = PyList_New(count);
    for (Py_ssize_t k = 0; list != NULL && k < count; k++) {
        PyObject *payload = PyTuple_GET_ITEM(self->payloads, found[k].word);
        PyObject *item = PyTuple_New(3);
        PyObject *start = PyLong_FromSsize_t(found[k].start);
        PyObject *end = PyLong_FromSsize_t(found[k].end);
        if (item == NULL || start == NULL || end == NULL) {
            Py_XDECREF(item);
            Py_XDECREF(start);
            Py_XDECREF(end);
            Py_CLEAR(list);
            break;
        }
        Py_INCREF(payload);
        PyTuple_SET_ITEM(item, 0, start);
        PyTuple_SET_ITEM(item, 1, end);
        PyTuple_SET_ITEM(item, 2, payload);
        PyList_SET_ITEM(list, k, item);
    }
    PyMem_Free(found);
    return list;
}

static PyMethodDef automaton_methods[] = {
    {"occurrences", (PyCFunction)occurrences, METH_O,
     "occurrences(text) -> [(start, end, payload)], by start and, at one start, longest first"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "services.core._scan.Automaton",
    .tp_basicsize = sizeof(Automaton),
    .tp_dealloc = (destructor)automaton_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)automaton_traverse,
    .tp_clear = (inquiry)automaton_clear,
    .tp_doc = "Automaton(tables, mask, payloads): see services/core/scanner.py",
    .tp_methods = automaton_methods,
    .tp_new = automaton_new,
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_scan", "Word scans (see services/core/scanner.py).",
    -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&AutomatonType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&AutomatonType);
    if (PyModule_AddObject(module, "Automaton", (PyObject *)&AutomatonType) < 0) {
        Py_DECREF(&AutomatonType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
