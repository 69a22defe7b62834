#include "tc_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

void tc_jw_init(tc_jw_t *w, char *buf, size_t cap) {
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if (cap > 0) buf[0] = '\0';
}

static void put(tc_jw_t *w, const char *s, size_t n) {
    /* Keep one byte for the terminating NUL. */
    if (w->overflow || w->len + n + 1 > w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc1(tc_jw_t *w, char c) { put(w, &c, 1); }

/* Objects only appear as a top-level value or after a key, and keys write the commas. */
void tc_jw_object_begin(tc_jw_t *w) {
    putc1(w, '{');
    if (w->depth >= TC_JSON_MAX_DEPTH) {
        w->overflow = true;
        return;
    }
    w->need_comma[w->depth++] = false;
}

void tc_jw_object_end(tc_jw_t *w) {
    if (w->depth > 0) w->depth--;
    putc1(w, '}');
}

void tc_jw_key(tc_jw_t *w, const char *key) {
    if (w->depth > 0) {
        if (w->need_comma[w->depth - 1]) putc1(w, ',');
        w->need_comma[w->depth - 1] = true;
    }
    tc_jw_string(w, key);
    putc1(w, ':');
}

/* Length of a valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return n;
}

void tc_jw_string_n(tc_jw_t *w, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    putc1(w, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(w, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *short_esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (short_esc) {
                put(w, short_esc, 2);
            } else {
                char esc[8];
                snprintf(esc, sizeof esc, "\\u%04x", c);
                put(w, esc, 6);
            }
            i++;
        } else {
            size_t n = utf8_seq_len(p + i, len - i);
            if (n == 0) {
                /* A broken byte from a sensor or a config string must not make the whole payload invalid JSON text. */
                put(w, "\\ufffd", 6);
                i++;
            } else {
                put(w, (const char *)p + i, n);
                i += n;
            }
        }
    }
    putc1(w, '"');
}

void tc_jw_string(tc_jw_t *w, const char *s) { tc_jw_string_n(w, s, strlen(s)); }

/* printf and strtod run in the C locale (neither ESP-IDF nor the host tests call setlocale), so '.' is the decimal point. */
size_t tc_format_double(double v, char out[32]) {
    if (!isfinite(v)) return 0;
    /* 15 significant digits print 4.6 as 4.6; only values that need more get 16 or 17. */
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, 32, "%.*g", prec, v);
        if (n <= 0 || n >= 32) return 0;
        if (strtod(out, NULL) == v || prec == 17) return (size_t)n;
    }
    return 0;
}

void tc_jw_number(tc_jw_t *w, double v) {
    char tmp[32];
    size_t n = tc_format_double(v, tmp);
    if (n == 0) {
        w->non_finite = true;
        put(w, "null", 4);
        return;
    }
    put(w, tmp, n);
}

void tc_jw_int(tc_jw_t *w, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    put(w, tmp, (size_t)n);
}

void tc_jw_bool(tc_jw_t *w, bool v) { v ? put(w, "true", 4) : put(w, "false", 5); }

bool tc_jw_finish(tc_jw_t *w) {
    if (w->cap > 0) w->buf[w->overflow ? 0 : w->len] = '\0';
    return !w->overflow && !w->non_finite && w->depth == 0;
}

/* ---- reader ---- */

typedef struct {
    const char *p;
    const char *end;
    char *arena;
    size_t arena_cap;
    size_t arena_len;
} reader_t;

static void skip_ws(reader_t *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static tc_jr_status_t arena_put(reader_t *r, const char *s, size_t n) {
    if (r->arena_len + n >= r->arena_cap) return TC_JR_ARENA;
    memcpy(r->arena + r->arena_len, s, n);
    r->arena_len += n;
    return TC_JR_OK;
}

static tc_jr_status_t arena_put_cp(reader_t *r, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return arena_put(r, b, n);
}

/* Decodes a string at r->p (which points at the opening quote) into the arena. */
static tc_jr_status_t read_string(reader_t *r, const char **out, size_t *out_len) {
    r->p++;
    size_t start = r->arena_len;
    for (;;) {
        if (r->p >= r->end) return TC_JR_SYNTAX;
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (c < 0x20) return TC_JR_BAD_STRING;
        tc_jr_status_t st;
        if (c == '\\') {
            if (r->end - r->p < 2) return TC_JR_SYNTAX;
            char e = r->p[1];
            r->p += 2;
            const char *simple = NULL;
            switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': break;
            default: return TC_JR_BAD_STRING;
            }
            if (simple) {
                st = arena_put(r, simple, 1);
            } else {
                uint32_t cp;
                if (r->end - r->p < 4 || !hex4(r->p, &cp)) return TC_JR_BAD_STRING;
                r->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || !hex4(r->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return TC_JR_BAD_STRING;
                    r->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return TC_JR_BAD_STRING;
                }
                /* A NUL would silently cut the C string short. */
                if (cp == 0) return TC_JR_BAD_STRING;
                st = arena_put_cp(r, cp);
            }
        } else {
            size_t n = utf8_seq_len((const unsigned char *)r->p, (size_t)(r->end - r->p));
            if (n == 0) return TC_JR_BAD_STRING;
            st = arena_put(r, r->p, n);
            r->p += n;
        }
        if (st != TC_JR_OK) return st;
    }
    if (r->arena_len >= r->arena_cap) return TC_JR_ARENA;
    r->arena[r->arena_len++] = '\0';
    *out = r->arena + start;
    *out_len = r->arena_len - start - 1;
    return TC_JR_OK;
}

/* JSON's number grammar, strictly: no leading '+', no leading zeros, no bare '.', no hex. */
static tc_jr_status_t read_number(reader_t *r, double *out) {
    const char *s = r->p;
    const char *p = s;
    if (p < r->end && *p == '-') p++;
    if (p >= r->end) return TC_JR_SYNTAX;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < r->end && *p >= '0' && *p <= '9') p++;
    } else {
        return TC_JR_SYNTAX;
    }
    if (p < r->end && *p == '.') {
        p++;
        if (p >= r->end || *p < '0' || *p > '9') return TC_JR_SYNTAX;
        while (p < r->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < r->end && (*p == '+' || *p == '-')) p++;
        if (p >= r->end || *p < '0' || *p > '9') return TC_JR_SYNTAX;
        while (p < r->end && *p >= '0' && *p <= '9') p++;
    }
    /* 63 characters is far beyond what JSON.stringify writes for any double (at most 24). */
    char tmp[64];
    size_t n = (size_t)(p - s);
    if (n >= sizeof tmp) return TC_JR_SYNTAX;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v)) return TC_JR_NON_FINITE;
    *out = v;
    r->p = p;
    return TC_JR_OK;
}

static int literal(reader_t *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return 0;
    r->p += n;
    return 1;
}

/* Tells "valid JSON, but not an object" (a scalar; an array by its first byte) from garbage. */
static tc_jr_status_t not_object_or_syntax(reader_t *r) {
    if (*r->p == '[') return TC_JR_NOT_OBJECT;
    double num;
    const char *s;
    size_t n;
    bool scalar = *r->p == '"' ? read_string(r, &s, &n) == TC_JR_OK
                               : (literal(r, "true") || literal(r, "false") || literal(r, "null") || read_number(r, &num) == TC_JR_OK);
    if (!scalar) return TC_JR_SYNTAX;
    skip_ws(r);
    return r->p == r->end ? TC_JR_NOT_OBJECT : TC_JR_SYNTAX;
}

tc_jr_status_t tc_jr_parse_flat(const char *json, size_t len, tc_jfield_t *fields, size_t max_fields,
                                size_t *n_fields, char *arena, size_t arena_cap) {
    reader_t r = {.p = json, .end = json + len, .arena = arena, .arena_cap = arena_cap, .arena_len = 0};
    *n_fields = 0;
    skip_ws(&r);
    if (r.p >= r.end) return TC_JR_SYNTAX;
    if (*r.p != '{') return not_object_or_syntax(&r);
    r.p++;
    skip_ws(&r);
    bool first = true;
    for (;;) {
        if (r.p >= r.end) return TC_JR_SYNTAX;
        if (*r.p == '}') {
            if (!first) return TC_JR_SYNTAX; /* a trailing comma */
            r.p++;
            break;
        }
        if (*r.p != '"') return TC_JR_SYNTAX;
        const char *key;
        size_t key_len;
        tc_jr_status_t st = read_string(&r, &key, &key_len);
        if (st != TC_JR_OK) return st;
        skip_ws(&r);
        if (r.p >= r.end || *r.p != ':') return TC_JR_SYNTAX;
        r.p++;
        skip_ws(&r);
        if (r.p >= r.end) return TC_JR_SYNTAX;
        tc_jfield_t f = {.key = key};
        char c = *r.p;
        if (c == '"') {
            f.type = TC_JV_STRING;
            st = read_string(&r, &f.str, &f.str_len);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            f.type = TC_JV_NUMBER;
            st = read_number(&r, &f.num);
        } else if (literal(&r, "true")) {
            f.type = TC_JV_BOOL;
            f.boolean = true;
        } else if (literal(&r, "false")) {
            f.type = TC_JV_BOOL;
        } else if (literal(&r, "null")) {
            f.type = TC_JV_NULL;
        } else if (c == '{' || c == '[') {
            st = TC_JR_NESTED;
        } else {
            st = TC_JR_SYNTAX;
        }
        if (st != TC_JR_OK) return st;
        if (tc_jr_find(fields, *n_fields, key)) return TC_JR_DUPLICATE;
        if (*n_fields >= max_fields) return TC_JR_TOO_MANY;
        fields[(*n_fields)++] = f;
        first = false;
        skip_ws(&r);
        if (r.p >= r.end) return TC_JR_SYNTAX;
        if (*r.p == ',') {
            r.p++;
            skip_ws(&r);
            if (r.p >= r.end || *r.p != '"') return TC_JR_SYNTAX;
            continue;
        }
        if (*r.p == '}') {
            r.p++;
            break;
        }
        return TC_JR_SYNTAX;
    }
    skip_ws(&r);
    return r.p == r.end ? TC_JR_OK : TC_JR_SYNTAX;
}

const tc_jfield_t *tc_jr_find(const tc_jfield_t *fields, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0) return &fields[i];
    return NULL;
}

const char *tc_jr_status_str(tc_jr_status_t s) {
    switch (s) {
    case TC_JR_OK: return "ok";
    case TC_JR_SYNTAX: return "not valid JSON";
    case TC_JR_NOT_OBJECT: return "not a JSON object";
    case TC_JR_NESTED: return "nested objects and arrays are not allowed";
    case TC_JR_TOO_MANY: return "too many fields";
    case TC_JR_ARENA: return "strings too long";
    case TC_JR_DUPLICATE: return "duplicate key";
    case TC_JR_NON_FINITE: return "number out of range";
    case TC_JR_BAD_STRING: return "bad string";
    }
    return "unknown";
}
