/*
 * A tiny JSON writer and a flat-object reader, enough for Tendero's device payloads.
 * No allocation: the writer fills a caller's buffer, the reader decodes strings into a
 * caller's arena. Plain C11, no ESP-IDF includes, so it is unit-tested on the host.
 */
#ifndef TC_JSON_H
#define TC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_JSON_MAX_DEPTH 8

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    int depth;
    bool need_comma[TC_JSON_MAX_DEPTH];
    /* Sticky: once set, the output must not be sent. */
    bool overflow;
    bool non_finite;
} tc_jw_t;

void tc_jw_init(tc_jw_t *w, char *buf, size_t cap);
void tc_jw_object_begin(tc_jw_t *w);
void tc_jw_object_end(tc_jw_t *w);
void tc_jw_key(tc_jw_t *w, const char *key);
/* `len` bytes of possibly invalid UTF-8; bad sequences become U+FFFD. */
void tc_jw_string_n(tc_jw_t *w, const char *s, size_t len);
void tc_jw_string(tc_jw_t *w, const char *s);
/* Shortest of %.15g..%.17g that reads back as the same double; NaN/Inf set non_finite. */
void tc_jw_number(tc_jw_t *w, double v);
void tc_jw_int(tc_jw_t *w, int64_t v);
void tc_jw_bool(tc_jw_t *w, bool v);
/* NUL-terminates; false if the output overflowed or holds a non-finite number. */
bool tc_jw_finish(tc_jw_t *w);

/* Formats a double as the writer does; returns the length, or 0 if non-finite. */
size_t tc_format_double(double v, char out[32]);

typedef enum {
    TC_JV_STRING,
    TC_JV_NUMBER,
    TC_JV_BOOL,
    TC_JV_NULL,
} tc_jv_type_t;

typedef struct {
    const char *key; /* decoded, NUL-terminated, in the arena */
    tc_jv_type_t type;
    const char *str; /* TC_JV_STRING: decoded UTF-8, NUL-terminated */
    size_t str_len;
    double num;      /* TC_JV_NUMBER: always finite */
    bool boolean;
} tc_jfield_t;

typedef enum {
    TC_JR_OK = 0,
    TC_JR_SYNTAX,      /* not JSON */
    TC_JR_NOT_OBJECT,  /* top level is not an object */
    TC_JR_NESTED,      /* a value is an object or array */
    TC_JR_TOO_MANY,    /* more fields than the caller's array */
    TC_JR_ARENA,       /* decoded strings do not fit the arena */
    TC_JR_DUPLICATE,   /* the same key twice: ambiguous, refused */
    TC_JR_NON_FINITE,  /* a number overflows a double (1e999) */
    TC_JR_BAD_STRING,  /* bad escape, raw control character, NUL or invalid UTF-8 */
} tc_jr_status_t;

/*
 * Parses one JSON object whose values are all scalars. Anything after the object
 * except whitespace is a syntax error.
 */
tc_jr_status_t tc_jr_parse_flat(const char *json, size_t len, tc_jfield_t *fields, size_t max_fields,
                                size_t *n_fields, char *arena, size_t arena_cap);
const tc_jfield_t *tc_jr_find(const tc_jfield_t *fields, size_t n, const char *key);
const char *tc_jr_status_str(tc_jr_status_t s);

#endif
