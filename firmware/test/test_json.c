/* JSON writer and flat reader: escaping, UTF-8, numbers that round-trip, strict parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tc_json.h"

static const char *string_json(const char *s, size_t n) {
    static char buf[256];
    tc_jw_t w;
    tc_jw_init(&w, buf, sizeof buf);
    tc_jw_string_n(&w, s, n);
    assert_true(tc_jw_finish(&w));
    return buf;
}

static void escapes_quotes_backslashes_and_controls(void **state) {
    (void)state;
    assert_string_equal(string_json("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(string_json("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
    assert_string_equal(string_json("\x01\x1f", 2), "\"\\u0001\\u001f\"");
    /* A NUL inside a counted string is data, not the end. */
    assert_string_equal(string_json("a\0b", 3), "\"a\\u0000b\"");
    /* '/' and DEL need no escape. */
    assert_string_equal(string_json("a/b\x7f", 4), "\"a/b\x7f\"");
}

static void keeps_valid_utf8_and_replaces_invalid(void **state) {
    (void)state;
    assert_string_equal(string_json("Cámara €😀", strlen("Cámara €😀")), "\"Cámara €😀\"");
    assert_string_equal(string_json("a\xff" "b", 3), "\"a\\ufffdb\"");
    /* Overlong '/', a lone surrogate (ED A0 80), a truncated sequence at the end. */
    assert_string_equal(string_json("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
    assert_string_equal(string_json("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    assert_string_equal(string_json("x\xe2\x82", 3), "\"x\\ufffd\\ufffd\"");
    /* Beyond U+10FFFF. */
    assert_string_equal(string_json("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void numbers_are_shortest_round_trip(void **state) {
    (void)state;
    char out[32];
    const double cases[] = {4.6, 0.1 + 0.2, -0.0, 0, 1e-300, 5e-324, 1.7976931348623157e308, -273.15, 123456789012345678.0, 1.0 / 3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = tc_format_double(cases[i], out);
        assert_true(n > 0);
        assert_true(strtod(out, NULL) == cases[i]);
        assert_null(strpbrk(out, "ni")); /* never nan/inf, never a locale comma */
        assert_null(strchr(out, ','));
    }
    tc_format_double(4.6, out);
    assert_string_equal(out, "4.6");
    tc_format_double(0.1 + 0.2, out);
    assert_string_equal(out, "0.30000000000000004");
    tc_format_double(2.0, out);
    assert_string_equal(out, "2");
    assert_int_equal(tc_format_double(NAN, out), 0);
    assert_int_equal(tc_format_double(INFINITY, out), 0);
    assert_int_equal(tc_format_double(-INFINITY, out), 0);
}

static void non_finite_poisons_the_output(void **state) {
    (void)state;
    char buf[64];
    tc_jw_t w;
    tc_jw_init(&w, buf, sizeof buf);
    tc_jw_object_begin(&w);
    tc_jw_key(&w, "x");
    tc_jw_number(&w, NAN);
    tc_jw_object_end(&w);
    assert_false(tc_jw_finish(&w));
    assert_true(w.non_finite);
}

static void overflow_is_detected_and_never_writes_past_the_buffer(void **state) {
    (void)state;
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    tc_jw_t w;
    tc_jw_init(&w, buf, 8);
    tc_jw_object_begin(&w);
    tc_jw_key(&w, "abcdefgh");
    tc_jw_int(&w, 1);
    tc_jw_object_end(&w);
    assert_false(tc_jw_finish(&w));
    assert_true(w.overflow);
    assert_int_equal(buf[8], 'Z');
    assert_int_equal(buf[0], '\0');
}

static void writes_nested_objects_with_commas(void **state) {
    (void)state;
    char buf[128];
    tc_jw_t w;
    tc_jw_init(&w, buf, sizeof buf);
    tc_jw_object_begin(&w);
    tc_jw_key(&w, "a");
    tc_jw_int(&w, -5);
    tc_jw_key(&w, "o");
    tc_jw_object_begin(&w);
    tc_jw_key(&w, "x");
    tc_jw_bool(&w, true);
    tc_jw_key(&w, "y");
    tc_jw_bool(&w, false);
    tc_jw_object_end(&w);
    tc_jw_key(&w, "s");
    tc_jw_string(&w, "t");
    tc_jw_object_end(&w);
    assert_true(tc_jw_finish(&w));
    assert_string_equal(buf, "{\"a\":-5,\"o\":{\"x\":true,\"y\":false},\"s\":\"t\"}");
}

static tc_jr_status_t parse(const char *json, tc_jfield_t *f, size_t *n) {
    static char arena[256];
    return tc_jr_parse_flat(json, strlen(json), f, 8, n, arena, sizeof arena);
}

static void reads_a_flat_object(void **state) {
    (void)state;
    tc_jfield_t f[8];
    size_t n;
    assert_int_equal(parse(" {\"s\":\"a\\u00e9\\ud83d\\ude00\\n\", \"n\": -1.5e2, \"t\":true,\"f\":false,\"z\":null} \n", f, &n), TC_JR_OK);
    assert_int_equal(n, 5);
    assert_string_equal(tc_jr_find(f, n, "s")->str, "aé😀\n");
    assert_true(tc_jr_find(f, n, "n")->num == -150.0);
    assert_true(tc_jr_find(f, n, "t")->boolean);
    assert_int_equal(tc_jr_find(f, n, "f")->type, TC_JV_BOOL);
    assert_false(tc_jr_find(f, n, "f")->boolean);
    assert_int_equal(tc_jr_find(f, n, "z")->type, TC_JV_NULL);
    assert_null(tc_jr_find(f, n, "missing"));
    assert_int_equal(parse("{}", f, &n), TC_JR_OK);
    assert_int_equal(n, 0);
}

static void refuses_what_is_not_strict_json(void **state) {
    (void)state;
    tc_jfield_t f[8];
    size_t n;
    const struct {
        const char *json;
        tc_jr_status_t want;
    } cases[] = {
        {"", TC_JR_SYNTAX},
        {"{", TC_JR_SYNTAX},
        {"{\"a\":1,}", TC_JR_SYNTAX},
        {"{\"a\":1}x", TC_JR_SYNTAX},
        {"{\"a\":01}", TC_JR_SYNTAX},
        {"{\"a\":+1}", TC_JR_SYNTAX},
        {"{\"a\":.5}", TC_JR_SYNTAX},
        {"{\"a\":1.}", TC_JR_SYNTAX},
        {"{\"a\":0x10}", TC_JR_SYNTAX},
        {"{\"a\":NaN}", TC_JR_SYNTAX},
        {"{\"a\":Infinity}", TC_JR_SYNTAX},
        {"{'a':1}", TC_JR_SYNTAX},
        {"{\"a\" 1}", TC_JR_SYNTAX},
        {"{\"a\":tru}", TC_JR_SYNTAX},
        {"[1]", TC_JR_NOT_OBJECT},
        {"\"s\"", TC_JR_NOT_OBJECT},
        {"{\"a\":{\"b\":1}}", TC_JR_NESTED},
        {"{\"a\":[1]}", TC_JR_NESTED},
        {"{\"a\":1,\"a\":2}", TC_JR_DUPLICATE},
        {"{\"a\":1e999}", TC_JR_NON_FINITE},
        {"{\"a\":-1e999}", TC_JR_NON_FINITE},
        {"{\"a\":\"x\ny\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\\x\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\\u00zz\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\\ud83d\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\\ude00\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\\u0000\"}", TC_JR_BAD_STRING},
        {"{\"a\":\"\xff\"}", TC_JR_BAD_STRING},
        {"{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9}", TC_JR_TOO_MANY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tc_jr_status_t got = parse(cases[i].json, f, &n);
        if (got != cases[i].want) fail_msg("case %zu %s: got %s, want %s", i, cases[i].json, tc_jr_status_str(got), tc_jr_status_str(cases[i].want));
    }
}

static void refuses_strings_larger_than_the_arena(void **state) {
    (void)state;
    tc_jfield_t f[4];
    size_t n;
    char arena[8];
    const char *json = "{\"a\":\"0123456789\"}";
    assert_int_equal(tc_jr_parse_flat(json, strlen(json), f, 4, &n, arena, sizeof arena), TC_JR_ARENA);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_quotes_backslashes_and_controls),
        cmocka_unit_test(keeps_valid_utf8_and_replaces_invalid),
        cmocka_unit_test(numbers_are_shortest_round_trip),
        cmocka_unit_test(non_finite_poisons_the_output),
        cmocka_unit_test(overflow_is_detected_and_never_writes_past_the_buffer),
        cmocka_unit_test(writes_nested_objects_with_commas),
        cmocka_unit_test(reads_a_flat_object),
        cmocka_unit_test(refuses_what_is_not_strict_json),
        cmocka_unit_test(refuses_strings_larger_than_the_arena),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
