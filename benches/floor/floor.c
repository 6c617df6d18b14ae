/*
 * The floor for list-of-dicts input: the least work any reader of these records can do.
 *
 * `read_fields(records)` looks up the ten record fields in every dict with
 * `PyDict_GetItem` (interned keys, so each lookup is a cached hash plus a pointer
 * compare) and counts the hits. It touches each dict and its key table and nothing
 * else: the values are not dereferenced. The count only keeps the compiler from
 * dropping the loads.
 *
 * `read_fields_typed(records)` also loads each value's type pointer, i.e. it touches
 * every value object once, which any real reader must do. Informational only.
 *
 * `read_fields_prefetch(records)` is `read_fields` with a two-stage software prefetch
 * (the dict 16 records ahead, its key table 8 ahead), the same scheme usage_analytics'
 * reader uses: the floor for a reader that overlaps the cache misses of records laid out
 * far apart in memory. Informational only.
 *
 * Built on demand by `build.py` for the benchmarks; never part of the package.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define N_FIELDS 10

static const char *FIELD_NAMES[N_FIELDS] = {
    "timestamp", "success",  "execution_time_ms", "quality_score", "quality_gates_passed",
    "timeout",   "context_type", "agent",          "project",       "file_path",
};

static PyObject *FIELD_KEYS[N_FIELDS];

static PyObject *
as_list(PyObject *records)
{
    if (!PyList_Check(records)) {
        PyErr_SetString(PyExc_TypeError, "records must be a list of dicts");
        return NULL;
    }
    return records;
}

static PyObject *
read_fields(PyObject *self, PyObject *records)
{
    if (as_list(records) == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(records);
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *record = PyList_GET_ITEM(records, i);
        if (!PyDict_Check(record)) {
            PyErr_Format(PyExc_TypeError, "record %zd is not a dict", i);
            return NULL;
        }
        for (int f = 0; f < N_FIELDS; f++) {
            found += PyDict_GetItem(record, FIELD_KEYS[f]) != NULL;
        }
    }
    return PyLong_FromSsize_t(found);
}

static PyObject *
read_fields_typed(PyObject *self, PyObject *records)
{
    if (as_list(records) == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(records);
    uintptr_t mix = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *record = PyList_GET_ITEM(records, i);
        if (!PyDict_Check(record)) {
            PyErr_Format(PyExc_TypeError, "record %zd is not a dict", i);
            return NULL;
        }
        for (int f = 0; f < N_FIELDS; f++) {
            PyObject *value = PyDict_GetItem(record, FIELD_KEYS[f]);
            if (value != NULL) {
                mix += (uintptr_t)Py_TYPE(value);
            }
        }
    }
    return PyLong_FromSize_t((size_t)mix);
}

#define PREFETCH_DISTANCE 8

static inline void
prefetch_lines(const void *p, int lines)
{
    for (int line = 0; line < lines; line++) {
        __builtin_prefetch((const char *)p + 64 * line, 0, 3);
    }
}

static PyObject *
read_fields_prefetch(PyObject *self, PyObject *records)
{
    if (as_list(records) == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(records);
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + 2 * PREFETCH_DISTANCE < n) {
            prefetch_lines(PyList_GET_ITEM(records, i + 2 * PREFETCH_DISTANCE), 1);
        }
        if (i + PREFETCH_DISTANCE < n) {
            PyObject *ahead = PyList_GET_ITEM(records, i + PREFETCH_DISTANCE);
            if (PyDict_CheckExact(ahead)) {
                prefetch_lines(((PyDictObject *)ahead)->ma_keys, 4);
            }
        }
        PyObject *record = PyList_GET_ITEM(records, i);
        if (!PyDict_Check(record)) {
            PyErr_Format(PyExc_TypeError, "record %zd is not a dict", i);
            return NULL;
        }
        for (int f = 0; f < N_FIELDS; f++) {
            found += PyDict_GetItem(record, FIELD_KEYS[f]) != NULL;
        }
    }
    return PyLong_FromSsize_t(found);
}

static PyMethodDef floor_methods[] = {
    {"read_fields", read_fields, METH_O,
     "read_fields(records) -> int: look up the ten fields of each dict; count the hits."},
    {"read_fields_typed", read_fields_typed, METH_O,
     "read_fields_typed(records) -> int: as read_fields, also loading each value's type."},
    {"read_fields_prefetch", read_fields_prefetch, METH_O,
     "read_fields_prefetch(records) -> int: read_fields with a two-stage software prefetch."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef floor_module = {
    PyModuleDef_HEAD_INIT, "_floor", "The list-of-dicts read floor (benchmarks only).", -1,
    floor_methods,
};

PyMODINIT_FUNC
PyInit__floor(void)
{
    for (int f = 0; f < N_FIELDS; f++) {
        FIELD_KEYS[f] = PyUnicode_InternFromString(FIELD_NAMES[f]);
        if (FIELD_KEYS[f] == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&floor_module);
}
