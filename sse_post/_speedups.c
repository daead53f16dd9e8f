/*
 * sse_post._speedups: the optional compiled core of SSEParser.
 *
 * Written in plain C against the CPython API (no Cython: nothing to install at build
 * time but a C compiler, and the hot loop works on the bytes directly). It has the same
 * API and the same behaviour as the pure-Python SSEParser in _parser.py, which stays the
 * reference and the fallback: every parser test and a differential property test run
 * against both. Where they differ only in speed and memory, this one
 *
 * - scans each chunk once, with memchr, and parses fields on bytes (the field names,
 *   the colon and the space are ASCII, and CR or LF never sits inside a multi-byte
 *   sequence, so decoding each value on its own gives what decoding the line gives);
 * - keeps the data of the event being built as UTF-8 bytes and decodes it once, at
 *   dispatch; a long data line is moved, not copied, from the pending buffer into the
 *   data buffer, so a 200 MiB event is held twice at most (its bytes and its text);
 * - measures every line exactly as it goes (see SSEParser's docstring for what counts).
 *
 * The spec steps are quoted in _parser_blocks.py; this file names them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

/* Buffers over this are freed after use rather than kept for the next line or event. */
#define KEEP_CAPACITY (64 * 1024)
/* Python's int() refuses more digits than this; longer retry values clamp. */
#define MAX_RETRY_DIGITS 4300

static PyTypeObject *EventType, *CommentType;
static PyObject *TooLargeError, *MaxRetry, *Empty, *Message;
static Py_ssize_t off_event, off_data, off_id, off_retry, off_text;

typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Buffer;

static int
buf_reserve(Buffer *b, Py_ssize_t extra)
{
    Py_ssize_t need = b->len + extra, cap = b->cap ? b->cap : 256;
    if (need <= b->cap)
        return 0;
    /* Grow by an eighth, as bytearray does: a long line's buffer then holds little
     * room it never uses. */
    while (cap < need)
        cap = cap > PY_SSIZE_T_MAX / 2 ? need : cap + (cap >> 3) + 256;
    char *p = PyMem_Realloc(b->buf, (size_t)cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->buf = p;
    b->cap = cap;
    return 0;
}

static int
buf_append(Buffer *b, const char *s, Py_ssize_t n)
{
    if (n == 0)
        return 0;
    if (buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->buf + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

static void
buf_free(Buffer *b)
{
    PyMem_Free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

static void
buf_clear(Buffer *b)
{
    b->len = 0;
    if (b->cap > KEEP_CAPACITY)
        buf_free(b);
}

typedef struct {
    PyObject_HEAD
    Buffer pending;          /* the line not yet ended; never holds CR or LF */
    Buffer data;             /* the data buffer: values joined by LF, as UTF-8 */
    Py_ssize_t size;         /* the block's size as counted, one LF per data line */
    Py_ssize_t limit;
    PyObject *limit_obj;     /* max_event_size, for EventTooLargeError */
    PyObject *event_type;    /* str */
    PyObject *id_buffer;     /* str */
    PyObject *last_event_id; /* str */
    PyObject *block_retry;   /* int or NULL */
    PyObject *retry;         /* int or NULL */
    PyObject *error;         /* the EventTooLargeError raised, or NULL */
    char has_data, at_start, skip_lf, closed, comments;
} Parser;

/* ---- sizes ------------------------------------------------------------------------ */

static int
is_ascii(const char *s, Py_ssize_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    uint64_t acc = 0, word;
    while (end - p >= 8) {
        memcpy(&word, p, 8);
        acc |= word;
        p += 8;
    }
    while (p < end)
        acc |= *p++;
    return (acc & UINT64_C(0x8080808080808080)) == 0;
}

/* The UTF-8 size of what the "replace" decoder makes of s: each maximal invalid
 * subpart (Unicode's recommended practice, which CPython follows) becomes U+FFFD. */
static Py_ssize_t
decoded_size(const char *s, Py_ssize_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    Py_ssize_t size = 0;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            size++;
            p++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4) {
            size += 3;
            p++;
            continue;
        }
        int need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3, got = 0;
        unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        const unsigned char *q = p + 1;
        while (got < need && q < end) {
            unsigned char b = *q;
            if (got == 0 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
                break;
            q++;
            got++;
        }
        size += got == need ? need + 1 : 3;
        p = q;
    }
    return size;
}

static inline Py_ssize_t
utf8_size(const char *s, Py_ssize_t n, int ascii)
{
    return ascii ? n : decoded_size(s, n);
}

/* ---- building values ---------------------------------------------------------------- */

static inline PyObject *
decode(const char *s, Py_ssize_t n)
{
    if (n == 0)
        return Py_NewRef(Empty);
    return PyUnicode_DecodeUTF8(s, n, "replace");
}

static inline void
set_slot(PyObject *obj, Py_ssize_t offset, PyObject *value)
{
    *(PyObject **)((char *)obj + offset) = Py_NewRef(value);
}

static int
dispatch(Parser *self, PyObject *events)
{
    /* "If the line is empty (a blank line): Dispatch the event." Step 1: the last event
     * ID string takes the buffer's value; steps 2-7: an event only if there is data. */
    Py_SETREF(self->last_event_id, Py_NewRef(self->id_buffer));
    if (self->has_data) {
        PyObject *data = decode(self->data.buf, self->data.len);
        if (data == NULL)
            return -1;
        PyObject *event = EventType->tp_alloc(EventType, 0);
        if (event == NULL) {
            Py_DECREF(data);
            return -1;
        }
        set_slot(event, off_event,
                 PyUnicode_GET_LENGTH(self->event_type) ? self->event_type : Message);
        *(PyObject **)((char *)event + off_data) = data;
        set_slot(event, off_id, self->last_event_id);
        set_slot(event, off_retry, self->block_retry ? self->block_retry : Py_None);
        int rc = PyList_Append(events, event);
        Py_DECREF(event);
        if (rc < 0)
            return -1;
        buf_clear(&self->data);
        self->has_data = 0;
    }
    Py_SETREF(self->event_type, Py_NewRef(Empty));
    Py_CLEAR(self->block_retry);
    self->size = 0;
    return 0;
}

static PyObject *
parse_retry(const char *s, Py_ssize_t n)
{
    while (n > 1 && *s == '0') {
        s++;
        n--;
    }
    if (n > MAX_RETRY_DIGITS)
        return Py_NewRef(MaxRetry);
    if (n < 19) {
        long long value = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            value = value * 10 + (s[i] - '0');
        return PyLong_FromLongLong(value);
    }
    char *text = PyMem_Malloc((size_t)n + 1);
    if (text == NULL)
        return PyErr_NoMemory();
    memcpy(text, s, (size_t)n);
    text[n] = '\0';
    PyObject *value = PyLong_FromString(text, NULL, 10);
    PyMem_Free(text);
    if (value == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        /* the application lowered sys.set_int_max_str_digits() */
        PyErr_Clear();
        return Py_NewRef(MaxRetry);
    }
    return value;
}

/* ---- lines -------------------------------------------------------------------------- */

enum { LINE_OK = 0, LINE_OVER = 1, LINE_ERROR = -1 };

static inline int
is_name(const char *p, Py_ssize_t n, const char *name, Py_ssize_t len)
{
    return n == len && memcmp(p, name, (size_t)len) == 0;
}

/* One line, without its line end. `moveable` is the pending buffer holding the line,
 * whose bytes a data line may take over instead of copying them. */
static int
process_line(Parser *self, const char *p, Py_ssize_t n, int ascii, PyObject *events,
             Buffer *moveable)
{
    if (n == 0)
        return dispatch(self, events) < 0 ? LINE_ERROR : LINE_OK;
    const char *colon = memchr(p, ':', (size_t)n);
    Py_ssize_t name_len = colon ? colon - p : n;
    const char *value = colon ? colon + 1 : p + n;
    Py_ssize_t value_len = p + n - value;
    if (name_len != 0 && value_len && *value == ' ') {
        value++;
        value_len--;
    }
    if (is_name(p, name_len, "data", 4)) {
        /* "Append the field value to the data buffer, then append a single U+000A LINE
         * FEED (LF) character": the LF goes in before the next value instead. */
        Py_ssize_t size = utf8_size(value, value_len, ascii);
        if (self->size + size > self->limit)
            return LINE_OVER;
        self->size += size + 1;
        if (self->has_data) {
            if (buf_append(&self->data, "\n", 1) < 0)
                return LINE_ERROR;
        }
        else if (moveable != NULL && value_len > KEEP_CAPACITY) {
            Buffer spare = self->data;
            memmove(moveable->buf, value, (size_t)value_len);
            moveable->len = value_len;
            char *fit = PyMem_Realloc(moveable->buf, (size_t)value_len);
            if (fit != NULL) { /* else it keeps its room */
                moveable->buf = fit;
                moveable->cap = value_len;
            }
            self->data = *moveable;
            *moveable = spare;
            self->has_data = 1;
            return LINE_OK;
        }
        self->has_data = 1;
        return buf_append(&self->data, value, value_len) < 0 ? LINE_ERROR : LINE_OK;
    }
    if (self->size + utf8_size(p, n, ascii) - self->has_data > self->limit)
        return LINE_OVER;
    self->size += utf8_size(p, n, ascii);
    if (name_len == 0) {
        /* "If the line starts with a U+003A COLON character (:) Ignore the line." Unless
         * asked for: then its text after the colon, as is. */
        if (self->comments) {
            PyObject *text = decode(p + 1, n - 1);
            if (text == NULL)
                return LINE_ERROR;
            PyObject *comment = CommentType->tp_alloc(CommentType, 0);
            if (comment == NULL) {
                Py_DECREF(text);
                return LINE_ERROR;
            }
            *(PyObject **)((char *)comment + off_text) = text;
            int rc = PyList_Append(events, comment);
            Py_DECREF(comment);
            if (rc < 0)
                return LINE_ERROR;
        }
    }
    else if (is_name(p, name_len, "event", 5)) {
        PyObject *type = decode(value, value_len);
        if (type == NULL)
            return LINE_ERROR;
        Py_SETREF(self->event_type, type);
    }
    else if (is_name(p, name_len, "id", 2)) {
        if (memchr(value, '\0', (size_t)value_len) == NULL) {
            PyObject *id = decode(value, value_len);
            if (id == NULL)
                return LINE_ERROR;
            Py_SETREF(self->id_buffer, id);
        }
    }
    else if (is_name(p, name_len, "retry", 5) && value_len) {
        for (Py_ssize_t i = 0; i < value_len; i++) {
            if (value[i] < '0' || value[i] > '9')
                return LINE_OK;
        }
        PyObject *retry = parse_retry(value, value_len);
        if (retry == NULL)
            return LINE_ERROR;
        Py_XSETREF(self->block_retry, Py_NewRef(retry));
        Py_XSETREF(self->retry, retry);
    }
    return LINE_OK;
}

/* Whether the line not yet ended puts the block over the limit. */
static int
pending_over(Parser *self)
{
    const char *p = self->pending.buf;
    Py_ssize_t n = self->pending.len;
    if (n + self->size <= self->limit)
        return 0;
    if (n >= 5 && memcmp(p, "data:", 5) == 0)
        return self->size + n - (n >= 6 && p[5] == ' ' ? 6 : 5) > self->limit;
    if (n < 5 && memcmp(p, "data:", (size_t)n) == 0)
        return 0;
    return self->size + n - self->has_data > self->limit;
}

static void
discard(Parser *self)
{
    buf_free(&self->pending);
    buf_free(&self->data);
    self->has_data = 0;
    self->size = 0;
    Py_SETREF(self->event_type, Py_NewRef(Empty));
    Py_CLEAR(self->block_retry);
}

/* The block went over the limit: raise, or return the events completed before. */
static PyObject *
fail(Parser *self, PyObject *events)
{
    PyObject *error = PyObject_CallOneArg(TooLargeError, self->limit_obj);
    if (error == NULL) {
        Py_DECREF(events);
        return NULL;
    }
    Py_XSETREF(self->error, error);
    discard(self);
    if (PyList_GET_SIZE(events))
        return events; /* delivered now; the next call raises */
    Py_DECREF(events);
    PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    return NULL;
}

static PyObject *
parse(Parser *self, const char *s, Py_ssize_t n)
{
    PyObject *events = PyList_New(0);
    if (events == NULL)
        return NULL;
    const char *end = s + n;
    /* Offsets from s of the next LF and CR at or after the scan point (n: none). */
    Py_ssize_t lf_at = -1, cr_at = memchr(s, '\r', (size_t)n) != NULL ? -1 : n;
    int ascii = -1, rc;
    /* "CRLF, a single LF not preceded by CR, and a single CR not followed by LF being
     * the ways in which a line can end." */
#define NEXT_LINE_END(from, out)                                             \
    do {                                                                     \
        Py_ssize_t at = (from) - s;                                          \
        if (lf_at < at) {                                                    \
            const char *found = memchr((from), '\n', (size_t)(n - at));      \
            lf_at = found ? found - s : n;                                   \
        }                                                                    \
        if (cr_at < at) {                                                    \
            const char *found = memchr((from), '\r', (size_t)(n - at));      \
            cr_at = found ? found - s : n;                                   \
        }                                                                    \
        (out) = s + (lf_at < cr_at ? lf_at : cr_at);                         \
    } while (0)
#define SKIP_LINE_END(q, out)                                                \
    do {                                                                     \
        (out) = (q) + 1;                                                     \
        if (*(q) == '\r') {                                                  \
            if ((out) < end && *(out) == '\n')                               \
                (out)++;                                                     \
            else if ((out) == end)                                           \
                self->skip_lf = 1; /* an LF opening the next chunk pairs */  \
        }                                                                    \
    } while (0)
    const char *p = s, *q;
    if (self->pending.len) {
        NEXT_LINE_END(p, q);
        if (buf_append(&self->pending, p, q - p) < 0)
            goto error;
        if (q == end)
            goto tail;
        Buffer *line = &self->pending;
        rc = process_line(self, line->buf, line->len, is_ascii(line->buf, line->len),
                          events, line);
        if (rc == LINE_ERROR)
            goto error;
        if (rc == LINE_OVER)
            return fail(self, events);
        buf_clear(&self->pending);
        SKIP_LINE_END(q, p);
    }
    while (p < end) {
        NEXT_LINE_END(p, q);
        if (q == end)
            break;
        if (ascii < 0)
            ascii = is_ascii(p, end - p);
        rc = process_line(self, p, q - p, ascii, events, NULL);
        if (rc == LINE_ERROR)
            goto error;
        if (rc == LINE_OVER)
            return fail(self, events);
        SKIP_LINE_END(q, p);
    }
    if (p < end && buf_append(&self->pending, p, end - p) < 0)
        goto error;
tail:
    if (self->pending.len && pending_over(self))
        return fail(self, events);
    return events;
error:
    Py_DECREF(events);
    return NULL;
#undef NEXT_LINE_END
#undef SKIP_LINE_END
}

/* ---- the type ----------------------------------------------------------------------- */

static const char BOM[] = "\xef\xbb\xbf";

static PyObject *
Parser_feed(Parser *self, PyObject *arg)
{
    if (self->limit_obj == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SSEParser.__init__() was not called");
        return NULL;
    }
    if (self->closed) {
        PyErr_SetString(PyExc_RuntimeError,
                        "feed() called after close(); make a new SSEParser per stream");
        return NULL;
    }
    if (self->error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(self->error), self->error);
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len;
    PyObject *result;
    if (self->skip_lf && n) {
        self->skip_lf = 0;
        if (s[0] == '\n') {
            s++;
            n--;
        }
    }
    if (self->at_start && n) {
        /* "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if
         * any." Its three bytes may arrive in separate chunks. */
        Buffer head = self->pending;
        self->pending = (Buffer){NULL, 0, 0};
        if (buf_append(&head, s, n) < 0) {
            buf_free(&head);
            PyBuffer_Release(&view);
            return NULL;
        }
        if (head.len < 3 && memcmp(head.buf, BOM, (size_t)head.len) == 0) {
            self->pending = head;
            PyBuffer_Release(&view);
            return PyList_New(0);
        }
        self->at_start = 0;
        Py_ssize_t skip = head.len >= 3 && memcmp(head.buf, BOM, 3) == 0 ? 3 : 0;
        result = head.len > skip ? parse(self, head.buf + skip, head.len - skip)
                                 : PyList_New(0);
        buf_free(&head);
    }
    else {
        result = n ? parse(self, s, n) : PyList_New(0);
    }
    PyBuffer_Release(&view);
    return result;
}

static PyObject *
Parser_close(Parser *self, PyObject *Py_UNUSED(ignored))
{
    /* "Once the end of the file is reached, any pending data must be discarded." */
    if (self->closed)
        return PyList_New(0);
    self->closed = 1;
    discard(self);
    if (self->error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(self->error), self->error);
        return NULL;
    }
    return PyList_New(0);
}

static int
Parser_init(Parser *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"last_event_id", "max_event_size", "comments", NULL};
    PyObject *last_event_id = Empty, *max_event_size = NULL;
    int comments = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$UOp:SSEParser", keywords,
                                     &last_event_id, &max_event_size, &comments))
        return -1;
    Py_ssize_t length = PyUnicode_GET_LENGTH(last_event_id);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(last_event_id, i);
        if (c == 0 || c == '\r' || c == '\n') {
            PyErr_Format(PyExc_ValueError,
                         "expected a last_event_id without NUL, CR or LF, got %R",
                         last_event_id);
            return -1;
        }
    }
    PyObject *limit;
    if (max_event_size == NULL)
        limit = PyLong_FromLong(16 * 1024 * 1024); /* DEFAULT_MAX_EVENT_SIZE */
    else if (max_event_size == Py_None)
        limit = PyLong_FromSsize_t(PY_SSIZE_T_MAX); /* sys.maxsize, as _parser.py */
    else {
        PyObject *zero = PyLong_FromLong(0);
        int positive = zero ? PyObject_RichCompareBool(max_event_size, zero, Py_GT) : -1;
        Py_XDECREF(zero);
        if (positive < 0)
            return -1;
        if (!positive) {
            PyErr_Format(PyExc_ValueError,
                         "expected a positive max_event_size or None, got %R",
                         max_event_size);
            return -1;
        }
        limit = PyNumber_Index(max_event_size);
    }
    if (limit == NULL)
        return -1;
    self->limit = PyLong_AsSsize_t(limit);
    if (self->limit == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* larger than any size: no bound */
        self->limit = PY_SSIZE_T_MAX;
    }
    Py_XSETREF(self->limit_obj, limit);
    buf_free(&self->pending);
    buf_free(&self->data);
    self->size = 0;
    self->has_data = self->skip_lf = self->closed = 0;
    self->at_start = 1;
    self->comments = (char)comments;
    Py_XSETREF(self->event_type, Py_NewRef(Empty));
    Py_XSETREF(self->id_buffer, Py_NewRef(last_event_id));
    Py_XSETREF(self->last_event_id, Py_NewRef(last_event_id));
    Py_CLEAR(self->block_retry);
    Py_CLEAR(self->retry);
    Py_CLEAR(self->error);
    return 0;
}

static int
Parser_traverse(Parser *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->error);
    return 0;
}

static int
Parser_clear(Parser *self)
{
    Py_CLEAR(self->limit_obj);
    Py_CLEAR(self->event_type);
    Py_CLEAR(self->id_buffer);
    Py_CLEAR(self->last_event_id);
    Py_CLEAR(self->block_retry);
    Py_CLEAR(self->retry);
    Py_CLEAR(self->error);
    return 0;
}

static void
Parser_dealloc(Parser *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Parser_clear(self);
    buf_free(&self->pending);
    buf_free(&self->data);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyObject *
Parser_get_last_event_id(Parser *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->last_event_id ? self->last_event_id : Empty);
}

static PyObject *
Parser_get_retry(Parser *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->retry ? self->retry : Py_None);
}

static PyObject *
Parser_get_mid_event(Parser *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->pending.len || self->has_data ||
                           (self->event_type && PyUnicode_GET_LENGTH(self->event_type)));
}

static PyGetSetDef Parser_getset[] = {
    {"last_event_id", (getter)Parser_get_last_event_id, NULL,
     "The last event ID string: what a reconnect sends as Last-Event-ID.", NULL},
    {"retry", (getter)Parser_get_retry, NULL,
     "The reconnection time in milliseconds most recently set by retry:, or None.", NULL},
    {"mid_event", (getter)Parser_get_mid_event, NULL,
     "Whether part of an event is buffered.", NULL},
    {NULL},
};

static PyMethodDef Parser_methods[] = {
    {"feed", (PyCFunction)Parser_feed, METH_O,
     "feed($self, data, /)\n--\n\nParse a chunk of the body and return the events it "
     "completes."},
    {"close", (PyCFunction)Parser_close, METH_NOARGS,
     "close($self, /)\n--\n\nSignal the end of the stream."},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS,
     "See PEP 585: SSEParser[ServerSentEvent]."},
    {NULL},
};

static PyType_Slot Parser_slots[] = {
    {Py_tp_doc, "SSEParser(*, last_event_id='', max_event_size=16777216, comments=False)\n"
                "--\n\nIncremental parser for a text/event-stream body (compiled core)."},
    {Py_tp_init, Parser_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, Parser_dealloc},
    {Py_tp_traverse, Parser_traverse},
    {Py_tp_clear, Parser_clear},
    {Py_tp_methods, Parser_methods},
    {Py_tp_getset, Parser_getset},
    {0, NULL},
};

static PyType_Spec Parser_spec = {
    .name = "sse_post._speedups.SSEParser",
    .basicsize = sizeof(Parser),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = Parser_slots,
};

/* ---- AsyncEventSource's iterator ------------------------------------------------------ */

/*
 * The cancel probes of _checkpoints.py in C: the same reads as its closures (see there
 * for what each reads and why it is exact), without a Python frame per event.
 * QueueIterator calls them directly.
 */

typedef struct {
    PyObject_HEAD
    PyObject *context, *runner; /* trio's GLOBAL_RUN_CONTEXT and the run's Runner */
} TrioProbeObject;

typedef struct {
    PyObject_HEAD
    PyObject *loop, *tasks, *current_task, *table; /* tasks: a dict, or None */
    PyObject *known, *known_state; /* the last task seen and its anyio state */
} AsyncioProbeObject;

static PyTypeObject *TrioProbeType, *AsyncioProbeType;
static PyObject *str_task, *str_cancel_status, *str_effectively_cancelled, *str_main_task,
    *str_ki_pending, *str_cancel_scope, *str_cancel_called, *str_shield, *str_parent_scope;

static int
attr_is_true(PyObject *object, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(object, name);
    if (value == NULL)
        return -1;
    int answer = PyObject_IsTrue(value);
    Py_DECREF(value);
    return answer;
}

/* 1 when trio's checkpoint_if_cancelled could raise here, 0 when not, -1 on an error. */
static int
probe_unset(void)
{
    PyErr_SetString(PyExc_RuntimeError, "the probe was not initialised");
    return -1;
}

static int
trio_probe(TrioProbeObject *self)
{
    if (self->context == NULL || self->runner == NULL)
        return probe_unset();
    PyObject *task = PyObject_GetAttr(self->context, str_task);
    if (task == NULL)
        return -1;
    PyObject *status = PyObject_GetAttr(task, str_cancel_status);
    int answer = status == NULL ? -1 : attr_is_true(status, str_effectively_cancelled);
    Py_XDECREF(status);
    if (answer == 0) {
        PyObject *main_task = PyObject_GetAttr(self->runner, str_main_task);
        if (main_task == NULL)
            answer = -1;
        else if (main_task == task)
            answer = attr_is_true(self->runner, str_ki_pending);
        Py_XDECREF(main_task);
    }
    Py_DECREF(task);
    return answer;
}

/* 1 when anyio's checkpoint_if_cancelled could raise here, 0 when not, -1 on an error. */
static int
asyncio_probe(AsyncioProbeObject *self)
{
    if (self->loop == NULL || self->tasks == NULL || self->current_task == NULL ||
        self->table == NULL)
        return probe_unset();
    PyObject *task;
    if (self->tasks != Py_None) {
        task = PyDict_GetItemWithError(self->tasks, self->loop);
        if (task == NULL) {
            if (PyErr_Occurred())
                return -1;
            task = Py_None;
        }
        Py_INCREF(task);
    }
    else {
        task = PyObject_CallOneArg(self->current_task, self->loop);
        if (task == NULL)
            return -1;
    }
    PyObject *state;
    if (task == self->known) {
        state = Py_NewRef(self->known_state);
        Py_DECREF(task);
    }
    else {
        PyObject *ref = PyWeakref_NewRef(task, NULL);
        if (ref == NULL) {
            Py_DECREF(task);
            return -1;
        }
        state = PyDict_GetItemWithError(self->table, ref);
        Py_XINCREF(state);
        Py_DECREF(ref);
        if (state == NULL || state == Py_None) {
            Py_DECREF(task);
            Py_XDECREF(state);
            return PyErr_Occurred() ? -1 : 0; /* no anyio scope around this task */
        }
        /* Both fields first, then the old values: dropping the old task may run code. */
        PyObject *old_task = self->known, *old_state = self->known_state;
        self->known = task;
        self->known_state = Py_NewRef(state);
        Py_XDECREF(old_task);
        Py_XDECREF(old_state);
    }
    PyObject *scope = PyObject_GetAttr(state, str_cancel_scope);
    Py_DECREF(state);
    int answer = 0;
    while (scope != NULL && scope != Py_None) {
        answer = attr_is_true(scope, str_cancel_called);
        if (answer != 0)
            break;
        answer = attr_is_true(scope, str_shield);
        if (answer != 0) {
            answer = answer < 0 ? -1 : 0;
            break;
        }
        Py_SETREF(scope, PyObject_GetAttr(scope, str_parent_scope));
    }
    if (scope == NULL)
        return -1;
    Py_DECREF(scope);
    return answer;
}

static int
no_arguments(PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "a probe takes no arguments");
        return -1;
    }
    return 0;
}

static PyObject *
probe_result(int answer)
{
    return answer < 0 ? NULL : PyBool_FromLong(answer);
}

static PyObject *
TrioProbe_call(TrioProbeObject *self, PyObject *args, PyObject *kwds)
{
    if (no_arguments(args, kwds) < 0)
        return NULL;
    return probe_result(trio_probe(self));
}

static PyObject *
AsyncioProbe_call(AsyncioProbeObject *self, PyObject *args, PyObject *kwds)
{
    if (no_arguments(args, kwds) < 0)
        return NULL;
    return probe_result(asyncio_probe(self));
}

static int
TrioProbe_init(TrioProbeObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"context", "runner", NULL};
    PyObject *context, *runner;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:TrioProbe", kwlist, &context, &runner))
        return -1;
    Py_XSETREF(self->context, Py_NewRef(context));
    Py_XSETREF(self->runner, Py_NewRef(runner));
    return 0;
}

static int
AsyncioProbe_init(AsyncioProbeObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", "tasks", "current_task", "table", NULL};
    PyObject *loop, *tasks, *current_task, *table;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO!:AsyncioProbe", kwlist, &loop, &tasks,
                                     &current_task, &PyDict_Type, &table))
        return -1;
    if (tasks != Py_None && !PyDict_CheckExact(tasks)) {
        PyErr_SetString(PyExc_TypeError, "tasks must be a dict or None");
        return -1;
    }
    Py_XSETREF(self->loop, Py_NewRef(loop));
    Py_XSETREF(self->tasks, Py_NewRef(tasks));
    Py_XSETREF(self->current_task, Py_NewRef(current_task));
    Py_XSETREF(self->table, Py_NewRef(table));
    Py_CLEAR(self->known);
    Py_CLEAR(self->known_state);
    return 0;
}

static int
TrioProbe_traverse(TrioProbeObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->context);
    Py_VISIT(self->runner);
    return 0;
}

static int
TrioProbe_clear(TrioProbeObject *self)
{
    Py_CLEAR(self->context);
    Py_CLEAR(self->runner);
    return 0;
}

static int
AsyncioProbe_traverse(AsyncioProbeObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->loop);
    Py_VISIT(self->tasks);
    Py_VISIT(self->current_task);
    Py_VISIT(self->table);
    Py_VISIT(self->known);
    Py_VISIT(self->known_state);
    return 0;
}

static int
AsyncioProbe_clear(AsyncioProbeObject *self)
{
    Py_CLEAR(self->loop);
    Py_CLEAR(self->tasks);
    Py_CLEAR(self->current_task);
    Py_CLEAR(self->table);
    Py_CLEAR(self->known);
    Py_CLEAR(self->known_state);
    return 0;
}

static void
TrioProbe_dealloc(TrioProbeObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    TrioProbe_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static void
AsyncioProbe_dealloc(AsyncioProbeObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    AsyncioProbe_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyType_Slot TrioProbe_slots[] = {
    {Py_tp_doc, "TrioProbe(context, runner)\n--\n\n"
                "Whether trio's checkpoint_if_cancelled could raise (_checkpoints.py)."},
    {Py_tp_init, TrioProbe_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_call, TrioProbe_call},
    {Py_tp_dealloc, TrioProbe_dealloc},
    {Py_tp_traverse, TrioProbe_traverse},
    {Py_tp_clear, TrioProbe_clear},
    {0, NULL},
};

static PyType_Spec TrioProbe_spec = {
    .name = "sse_post._speedups.TrioProbe",
    .basicsize = sizeof(TrioProbeObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = TrioProbe_slots,
};

static PyType_Slot AsyncioProbe_slots[] = {
    {Py_tp_doc, "AsyncioProbe(loop, tasks, current_task, table)\n--\n\n"
                "Whether anyio's checkpoint_if_cancelled could raise (_checkpoints.py)."},
    {Py_tp_init, AsyncioProbe_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_call, AsyncioProbe_call},
    {Py_tp_dealloc, AsyncioProbe_dealloc},
    {Py_tp_traverse, AsyncioProbe_traverse},
    {Py_tp_clear, AsyncioProbe_clear},
    {0, NULL},
};

static PyType_Spec AsyncioProbe_spec = {
    .name = "sse_post._speedups.AsyncioProbe",
    .basicsize = sizeof(AsyncioProbeObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = AsyncioProbe_slots,
};

static int
add_probes(PyObject *module)
{
    str_task = PyUnicode_InternFromString("task");
    str_cancel_status = PyUnicode_InternFromString("_cancel_status");
    str_effectively_cancelled = PyUnicode_InternFromString("effectively_cancelled");
    str_main_task = PyUnicode_InternFromString("main_task");
    str_ki_pending = PyUnicode_InternFromString("ki_pending");
    str_cancel_scope = PyUnicode_InternFromString("cancel_scope");
    str_cancel_called = PyUnicode_InternFromString("_cancel_called");
    str_shield = PyUnicode_InternFromString("_shield");
    str_parent_scope = PyUnicode_InternFromString("_parent_scope");
    if (str_task == NULL || str_cancel_status == NULL || str_effectively_cancelled == NULL ||
        str_main_task == NULL || str_ki_pending == NULL || str_cancel_scope == NULL ||
        str_cancel_called == NULL || str_shield == NULL || str_parent_scope == NULL)
        return -1;
    TrioProbeType = (PyTypeObject *)PyType_FromSpec(&TrioProbe_spec);
    if (TrioProbeType == NULL)
        return -1;
    Py_INCREF(TrioProbeType);
    if (PyModule_AddObject(module, "TrioProbe", (PyObject *)TrioProbeType) < 0) {
        Py_DECREF(TrioProbeType);
        return -1;
    }
    AsyncioProbeType = (PyTypeObject *)PyType_FromSpec(&AsyncioProbe_spec);
    if (AsyncioProbeType == NULL)
        return -1;
    Py_INCREF(AsyncioProbeType);
    if (PyModule_AddObject(module, "AsyncioProbe", (PyObject *)AsyncioProbeType) < 0) {
        Py_DECREF(AsyncioProbeType);
        return -1;
    }
    return 0;
}

/*
 * What `async for` iterates over an AsyncEventSource: _async_client._Iterator's fast path
 * in C. A call that can return a queued event at once (events queued, the source not
 * stopped, no cancelled scope around the task by the source's own probe, and fewer than
 * `every` events since the last schedule point) returns it in a Ready awaitable, which
 * completes on its first send without a coroutine or a frame. Every other call, and every
 * `every`-th one, returns the source's own __anext__() coroutine, which owns the rules;
 * this is only a shortcut through them, and _async_client.py says what they are.
 */

typedef struct {
    PyObject_HEAD
    PyObject *value;
} ReadyObject;

static PyTypeObject *ReadyType, *QueueIteratorType;
static PyObject *str_reason, *str_probe, *str_unscheduled, *str_anext, *str_popleft,
    *str_appendleft, *str_queue, *str_stop;

static void
Ready_dealloc(ReadyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    Py_XDECREF(self->value);
    PyObject_Free(self);
    Py_DECREF(type);
}

static PyObject *
Ready_await(PyObject *self)
{
    return Py_NewRef(self);
}

static PySendResult
Ready_send(ReadyObject *self, PyObject *arg, PyObject **result)
{
    /* The await is over at once: its value is the result (once). */
    PyObject *value = self->value;
    self->value = NULL;
    *result = value != NULL ? value : Py_NewRef(Py_None);
    return PYGEN_RETURN;
}

static PyObject *
Ready_next(ReadyObject *self)
{
    /* Where am_send is not used (a tracer is set): StopIteration carries the value. */
    PyObject *value = self->value != NULL ? self->value : Py_None;
    PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, value);
    Py_CLEAR(self->value);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

static PyType_Slot Ready_slots[] = {
    {Py_tp_doc, "An awaitable whose value is already there."},
    {Py_tp_dealloc, Ready_dealloc},
    {Py_am_await, Ready_await},
    {Py_am_send, Ready_send},
    {Py_tp_iter, Ready_await},
    {Py_tp_iternext, Ready_next},
    {0, NULL},
};

static PyType_Spec Ready_spec = {
    .name = "sse_post._speedups.Ready",
    .basicsize = sizeof(ReadyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = Ready_slots,
};

/* What both iterators (async and sync) hold: the source, its deque (for its life) and
   the deque's popleft; the functions below serve both types. */
typedef struct {
    PyObject_HEAD
    PyObject *source, *queue, *popleft;
    PyObject *weakreflist;
} QueueHead;

static int
queue_bind(QueueHead *self, PyObject *source)
{
    PyObject *queue = PyObject_GetAttr(source, str_queue);
    if (queue == NULL)
        return -1;
    PyObject *popleft = PyObject_GetAttr(queue, str_popleft);
    if (popleft == NULL) {
        Py_DECREF(queue);
        return -1;
    }
    Py_XSETREF(self->source, Py_NewRef(source));
    Py_XSETREF(self->queue, queue);
    Py_XSETREF(self->popleft, popleft);
    return 0;
}

static int
queue_traverse(QueueHead *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->source);
    Py_VISIT(self->queue);
    Py_VISIT(self->popleft);
    return 0;
}

static int
queue_clear(QueueHead *self)
{
    Py_CLEAR(self->source);
    Py_CLEAR(self->queue);
    Py_CLEAR(self->popleft);
    return 0;
}

static void
queue_free(QueueHead *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    queue_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

typedef struct {
    QueueHead head;
    Py_ssize_t fast, every;
} QueueIteratorObject;

static int
QueueIterator_init(QueueIteratorObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"source", "every", NULL};
    PyObject *source;
    Py_ssize_t every;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "On:QueueIterator", kwlist, &source, &every))
        return -1;
    if (queue_bind(&self->head, source) < 0)
        return -1;
    self->fast = 0;
    self->every = every;
    return 0;
}

static PyObject *
QueueIterator_aiter(PyObject *self)
{
    return Py_NewRef(self);
}

/* 1 when the source's stop reason is "stop", 0 when not, -1 on an error. */
static int
is_stopped(PyObject *source)
{
    PyObject *reason = PyObject_GetAttr(source, str_reason);
    if (reason == NULL)
        return -1;
    int stopped = reason == str_stop ? 1
                  : reason == Py_None ? 0
                                      : PyObject_RichCompareBool(reason, str_stop, Py_EQ);
    Py_DECREF(reason);
    return stopped;
}

/* 1 when a queued event may be returned at once, 0 when not, -1 on an error. */
static int
QueueIterator_ready(QueueIteratorObject *self)
{
    if (self->head.popleft == NULL)
        return 0;
    Py_ssize_t queued = PyObject_Length(self->head.queue);
    if (queued <= 0)
        return queued < 0 ? -1 : 0;
    int stopped = is_stopped(self->head.source);
    if (stopped != 0)
        return stopped < 0 ? -1 : 0;
    /* The cancellation point of the call: the probe says whether it could raise. */
    PyObject *probe = PyObject_GetAttr(self->head.source, str_probe);
    if (probe == NULL)
        return -1;
    int cancelled;
    if (Py_IS_TYPE(probe, AsyncioProbeType))
        cancelled = asyncio_probe((AsyncioProbeObject *)probe);
    else if (Py_IS_TYPE(probe, TrioProbeType))
        cancelled = trio_probe((TrioProbeObject *)probe);
    else {
        PyObject *answer = PyObject_CallNoArgs(probe);
        cancelled = answer == NULL ? -1 : PyObject_IsTrue(answer);
        Py_XDECREF(answer);
    }
    Py_DECREF(probe);
    return cancelled < 0 ? -1 : !cancelled;
}

static PyObject *
QueueIterator_anext(QueueIteratorObject *self)
{
    if (self->head.source == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the iterator has been cleared");
        return NULL;
    }
    if (self->fast < self->every) {
        int ready = QueueIterator_ready(self);
        if (ready < 0)
            return NULL;
        if (ready) {
            PyObject *item = PyObject_CallNoArgs(self->head.popleft);
            if (item == NULL)
                return NULL;
            if (!Py_IS_TYPE(item, CommentType)) {
                ReadyObject *ready_value = PyObject_New(ReadyObject, ReadyType);
                if (ready_value == NULL) {
                    Py_DECREF(item);
                    return NULL;
                }
                ready_value->value = item;
                self->fast++;
                return (PyObject *)ready_value;
            }
            /* A comment: the source's __anext__ hands it to on_comment. */
            PyObject *done = PyObject_CallMethodOneArg(self->head.queue, str_appendleft, item);
            Py_DECREF(item);
            if (done == NULL)
                return NULL;
            Py_DECREF(done);
        }
    }
    else {
        /* Time for a schedule point: the source's __anext__ makes it, told so. */
        PyObject *due = PyLong_FromSsize_t(self->every);
        if (due == NULL || PyObject_SetAttr(self->head.source, str_unscheduled, due) < 0) {
            Py_XDECREF(due);
            return NULL;
        }
        Py_DECREF(due);
        self->fast = 0;
    }
    return PyObject_CallMethodNoArgs(self->head.source, str_anext);
}

static PyMemberDef QueueIterator_members[] = {
    {"_source", T_OBJECT, offsetof(QueueIteratorObject, head.source), READONLY, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(QueueIteratorObject, head.weakreflist), READONLY},
    {NULL},
};

static PyType_Slot QueueIterator_slots[] = {
    {Py_tp_doc, "QueueIterator(source, every)\n--\n\n"
                "AsyncEventSource's async iterator, its queued events returned without a "
                "coroutine."},
    {Py_tp_init, QueueIterator_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, queue_free},
    {Py_tp_traverse, queue_traverse},
    {Py_tp_clear, queue_clear},
    {Py_tp_members, QueueIterator_members},
    {Py_am_aiter, QueueIterator_aiter},
    {Py_am_anext, QueueIterator_anext},
    {0, NULL},
};

static PyType_Spec QueueIterator_spec = {
    .name = "sse_post._speedups.QueueIterator",
    .basicsize = sizeof(QueueIteratorObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = QueueIterator_slots,
};


/*
 * What `for` iterates over an EventSource: _sync_client._py_iterate, the generator, in C,
 * step for step: queued events while the source is not stopped (comments to its
 * _comment), then its _step() for more, until that says the stream is over. Like the
 * generator, it closes the source at the end, on an error, and when a started iterator
 * is dropped (a break) or closed; a StopIteration from the source's code becomes a
 * RuntimeError (PEP 479); a second caller while one is inside gets "already executing".
 */

enum { FRESH, RUNNING, DONE };

typedef struct {
    QueueHead head;
    int state, executing;
} SyncIteratorObject;

static PyObject *str_step, *str_comment, *str_close;

static int
SyncIterator_init(SyncIteratorObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"source", NULL};
    PyObject *source;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:SyncQueueIterator", kwlist, &source))
        return -1;
    if (self->head.source != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SyncQueueIterator is already initialised");
        return -1;
    }
    if (queue_bind(&self->head, source) < 0)
        return -1;
    self->state = FRESH;
    self->executing = 0;
    return 0;
}

static void
SyncIterator_finalize(SyncIteratorObject *self)
{
    /* Dropped while running (a break, or an exception in the loop's body): close. */
    if (self->state != RUNNING || self->head.source == NULL)
        return;
    self->state = DONE;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *done = PyObject_CallMethodNoArgs(self->head.source, str_close);
    if (done == NULL)
        PyErr_WriteUnraisable((PyObject *)self);
    Py_XDECREF(done);
    PyErr_Restore(type, value, traceback);
}

static void
SyncIterator_dealloc(SyncIteratorObject *self)
{
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return; /* resurrected */
    queue_free(&self->head);
}

/* Replace the pending exception (new, a normalized value) so that `first` is its
   context; steals the three references of `first`. */
static void
chain_to(PyObject *first_type, PyObject *first, PyObject *first_traceback, int as_cause)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&first_type, &first, &first_traceback);
    if (first != NULL && first_traceback != NULL)
        PyException_SetTraceback(first, first_traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value != NULL && first != NULL && value != first) {
        if (as_cause)
            PyException_SetCause(value, Py_NewRef(first));
        PyException_SetContext(value, Py_NewRef(first));
    }
    Py_XDECREF(first_type);
    Py_XDECREF(first);
    Py_XDECREF(first_traceback);
    PyErr_Restore(type, value, traceback);
}

/* A StopIteration raised by the source's code must not end the loop quietly. */
static void
stop_iteration_to_runtime_error(void)
{
    if (!PyErr_ExceptionMatches(PyExc_StopIteration))
        return;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_SetString(PyExc_RuntimeError, "generator raised StopIteration");
    chain_to(type, value, traceback, 1);
}

/* The iteration is over: close the source, then raise what was pending (nothing at the
   end); an error from close() is raised instead, with the first as its context. */
static PyObject *
SyncIterator_end(SyncIteratorObject *self)
{
    self->state = DONE;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *done = PyObject_CallMethodNoArgs(self->head.source, str_close);
    if (done != NULL) {
        Py_DECREF(done);
        PyErr_Restore(type, value, traceback);
    }
    else if (type != NULL)
        chain_to(type, value, traceback, 0);
    return NULL;
}

static PyObject *
SyncIterator_advance(SyncIteratorObject *self)
{
    for (;;) {
        for (;;) {
            Py_ssize_t queued = PyObject_Length(self->head.queue);
            if (queued < 0)
                return NULL;
            if (queued == 0)
                break;
            int stopped = is_stopped(self->head.source);
            if (stopped < 0)
                return NULL;
            if (stopped)
                break; /* what is queued is dropped: _step() says the stream is over */
            PyObject *item = PyObject_CallNoArgs(self->head.popleft);
            if (item == NULL || !Py_IS_TYPE(item, CommentType))
                return item;
            PyObject *done = PyObject_CallMethodOneArg(self->head.source, str_comment, item);
            Py_DECREF(item);
            if (done == NULL)
                return NULL;
            Py_DECREF(done);
        }
        PyObject *more = PyObject_CallMethodNoArgs(self->head.source, str_step);
        if (more == NULL)
            return NULL;
        int going = PyObject_IsTrue(more);
        Py_DECREF(more);
        if (going <= 0)
            return going < 0 ? NULL : SyncIterator_end(self);
    }
}

static PyObject *
SyncIterator_next(SyncIteratorObject *self)
{
    if (self->executing) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return NULL;
    }
    if (self->state == DONE || self->head.source == NULL)
        return NULL;
    self->state = RUNNING;
    self->executing = 1;
    PyObject *item = SyncIterator_advance(self);
    if (item == NULL && self->state != DONE) {
        stop_iteration_to_runtime_error();
        item = SyncIterator_end(self);
    }
    self->executing = 0;
    return item;
}

static PyObject *
SyncIterator_close(SyncIteratorObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->executing) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return NULL;
    }
    int running = self->state == RUNNING && self->head.source != NULL;
    self->state = DONE;
    if (running) {
        PyObject *done = PyObject_CallMethodNoArgs(self->head.source, str_close);
        if (done == NULL)
            return NULL;
        Py_DECREF(done);
    }
    Py_RETURN_NONE;
}

static PyMethodDef SyncIterator_methods[] = {
    {"close", (PyCFunction)SyncIterator_close, METH_NOARGS,
     "Close the source if the iteration started, as a generator's close() does."},
    {NULL},
};

static PyMemberDef SyncIterator_members[] = {
    {"_source", T_OBJECT, offsetof(SyncIteratorObject, head.source), READONLY, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(SyncIteratorObject, head.weakreflist), READONLY},
    {NULL},
};

static PyType_Slot SyncIterator_slots[] = {
    {Py_tp_doc, "SyncQueueIterator(source)\n--\n\n"
                "EventSource's iterator: _sync_client._py_iterate without a generator frame."},
    {Py_tp_init, SyncIterator_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, SyncIterator_dealloc},
    {Py_tp_finalize, SyncIterator_finalize},
    {Py_tp_traverse, queue_traverse},
    {Py_tp_clear, queue_clear},
    {Py_tp_members, SyncIterator_members},
    {Py_tp_methods, SyncIterator_methods},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, SyncIterator_next},
    {0, NULL},
};

static PyType_Spec SyncIterator_spec = {
    .name = "sse_post._speedups.SyncQueueIterator",
    .basicsize = sizeof(SyncIteratorObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = SyncIterator_slots,
};

static int
add_iterator(PyObject *module)
{
    str_reason = PyUnicode_InternFromString("_reason");
    str_probe = PyUnicode_InternFromString("_may_be_cancelled");
    str_unscheduled = PyUnicode_InternFromString("_unscheduled");
    str_anext = PyUnicode_InternFromString("__anext__");
    str_popleft = PyUnicode_InternFromString("popleft");
    str_appendleft = PyUnicode_InternFromString("appendleft");
    str_queue = PyUnicode_InternFromString("_queue");
    str_stop = PyUnicode_InternFromString("stop");
    if (str_reason == NULL || str_probe == NULL || str_unscheduled == NULL ||
        str_anext == NULL || str_popleft == NULL || str_appendleft == NULL ||
        str_queue == NULL || str_stop == NULL)
        return -1;
    ReadyType = (PyTypeObject *)PyType_FromSpec(&Ready_spec);
    if (ReadyType == NULL)
        return -1;
    PyObject *type = PyType_FromSpec(&QueueIterator_spec);
    if (type == NULL)
        return -1;
    QueueIteratorType = (PyTypeObject *)type;
    Py_INCREF(type);
    if (PyModule_AddObject(module, "QueueIterator", type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    str_step = PyUnicode_InternFromString("_step");
    str_comment = PyUnicode_InternFromString("_comment");
    str_close = PyUnicode_InternFromString("close");
    if (str_step == NULL || str_comment == NULL || str_close == NULL)
        return -1;
    type = PyType_FromSpec(&SyncIterator_spec);
    if (type == NULL || PyModule_AddObject(module, "SyncQueueIterator", type) < 0) {
        Py_XDECREF(type);
        return -1;
    }
    return 0;
}

/* ---- the module --------------------------------------------------------------------- */

static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL)
        return -1;
    int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type) &&
             ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
    if (ok)
        *offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    if (!ok)
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
    return ok ? 0 : -1;
}

static PyObject *
import_attr(const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL)
        return NULL;
    PyObject *attr = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return attr;
}

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sse_post._speedups",
    .m_doc = "The compiled core of SSEParser (C); see sse_post._parser for the reference.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    EventType = (PyTypeObject *)import_attr("sse_post._events", "ServerSentEvent");
    CommentType = (PyTypeObject *)import_attr("sse_post._events", "Comment");
    TooLargeError = import_attr("sse_post._errors", "EventTooLargeError");
    if (EventType == NULL || CommentType == NULL || TooLargeError == NULL)
        return NULL;
    if (slot_offset(EventType, "event", &off_event) < 0 ||
        slot_offset(EventType, "data", &off_data) < 0 ||
        slot_offset(EventType, "id", &off_id) < 0 ||
        slot_offset(EventType, "retry", &off_retry) < 0 ||
        slot_offset(CommentType, "text", &off_text) < 0)
        return NULL;
    Empty = PyUnicode_FromStringAndSize("", 0);
    Message = PyUnicode_InternFromString("message");
    PyObject *ten = PyLong_FromLong(10), *digits = PyLong_FromLong(MAX_RETRY_DIGITS);
    PyObject *power = ten && digits ? PyNumber_Power(ten, digits, Py_None) : NULL;
    PyObject *one = PyLong_FromLong(1);
    MaxRetry = power && one ? PyNumber_Subtract(power, one) : NULL;
    Py_XDECREF(ten);
    Py_XDECREF(digits);
    Py_XDECREF(power);
    Py_XDECREF(one);
    if (Empty == NULL || Message == NULL || MaxRetry == NULL)
        return NULL;
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL)
        return NULL;
    PyObject *type = PyType_FromSpec(&Parser_spec);
    PyObject *name = PyUnicode_FromString("c");
    if (type == NULL || name == NULL ||
        PyObject_SetAttrString(type, "implementation", name) < 0 ||
        PyModule_AddObject(module, "SSEParser", type) < 0) {
        Py_XDECREF(name);
        Py_XDECREF(type);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(name);
    if (add_probes(module) < 0 || add_iterator(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
