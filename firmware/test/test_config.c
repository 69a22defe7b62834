/* Provisioning: the config partition's key=value text, its defaults and every error code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tc_config.h"

static const char GOOD[] =
    "# Cámara de frío 1\n"
    "device_id = camara-1\n"
    "mqtt_password=s3cret with spaces\n"
    "mqtt_uri=mqtt://192.168.0.10:1883\r\n"
    "wifi_ssid=Tienda\n"
    "wifi_password=secreto123\n"
    "ntp_server=pool.ntp.org\n"
    "interval_s=5\n"
    "failsafe_grace_s=30\n"
    "\n"
    "relay=compressor gpio=26 failsafe=duty:600:900\n"
    "relay=valve_1 gpio=27 active_low failsafe=off\n"
    "relay=lights gpio=25 failsafe=on\n"
    "sensor=temperature_c type=ds18b20 gpio=4\n"
    "sensor=door_open type=contact gpio=33 pull_up invert event=door.opened\n"
    "sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n"
    "setpoint=setpoint_c value=2 min=-30 max=30\n";

static void parses_a_full_config(void **state) {
    (void)state;
    tc_config_t cfg;
    tc_cfg_error_t err;
    /* Erased flash after the text must be ignored. */
    char part[sizeof GOOD + 16];
    memcpy(part, GOOD, sizeof GOOD - 1);
    memset(part + sizeof GOOD - 1, 0xFF, 17);
    assert_int_equal(tc_config_parse(part, sizeof part, &cfg, &err), TC_CFG_OK);
    assert_string_equal(cfg.device_id, "camara-1");
    assert_string_equal(cfg.mqtt_password, "s3cret with spaces");
    assert_string_equal(cfg.mqtt_uri, "mqtt://192.168.0.10:1883");
    assert_int_equal(cfg.interval_s, 5);
    assert_int_equal(cfg.keepalive_s, 10);
    assert_int_equal(cfg.failsafe_grace_s, 30);
    assert_int_equal(cfg.n_relays, 3);
    assert_int_equal(cfg.relay[0].failsafe.mode, TC_FS_DUTY);
    assert_int_equal(cfg.relay[0].failsafe.on_s, 600);
    assert_int_equal(cfg.relay[0].failsafe.off_s, 900);
    assert_true(cfg.relay[1].active_low);
    assert_int_equal(cfg.relay[2].failsafe.mode, TC_FS_ON);
    assert_int_equal(cfg.n_sensors, 3);
    assert_int_equal(cfg.sensor[1].type, TC_SENSOR_CONTACT);
    assert_true(cfg.sensor[1].pull_up && cfg.sensor[1].invert);
    assert_string_equal(cfg.sensor[1].event, "door.opened");
    assert_string_equal(cfg.sensor[0].event, "");
    assert_true(cfg.sensor[2].scale == 0.125 && cfg.sensor[2].offset == -50);
    assert_int_equal(cfg.setpoints.n, 2);
    assert_string_equal(cfg.setpoints.item[0].name, "interval_s");
    assert_true(cfg.setpoints.item[0].value == 5);
    assert_string_equal(cfg.setpoints.item[1].name, "setpoint_c");
}

static void applies_defaults(void **state) {
    (void)state;
    const char *min = "device_id=n1\nmqtt_password=p\nmqtt_uri=mqtt://gw:1883\nwifi_ssid=s\nrelay=valve gpio=5\n";
    tc_config_t cfg;
    tc_cfg_error_t err;
    assert_int_equal(tc_config_parse(min, strlen(min), &cfg, &err), TC_CFG_OK);
    assert_int_equal(cfg.interval_s, 10);
    assert_int_equal(cfg.failsafe_grace_s, 0);
    assert_string_equal(cfg.ntp_server, "");
    assert_string_equal(cfg.wifi_password, "");
    assert_int_equal(cfg.relay[0].failsafe.mode, TC_FS_OFF); /* a bare relay is off, as on the gateway */
}

/* Replaces one line of GOOD (or appends one when `old` is NULL) and expects an error. */
static void expect_error(const char *old, const char *replacement, tc_cfg_status_t want, unsigned line, const char *msg) {
    char text[2048];
    if (old) {
        const char *at = strstr(GOOD, old);
        assert_non_null(at);
        size_t pre = (size_t)(at - GOOD);
        snprintf(text, sizeof text, "%.*s%s%s", (int)pre, GOOD, replacement, at + strlen(old));
    } else {
        snprintf(text, sizeof text, "%s%s", GOOD, replacement);
    }
    tc_config_t cfg;
    tc_cfg_error_t err;
    tc_cfg_status_t got = tc_config_parse(text, strlen(text), &cfg, &err);
    char formatted[200];
    tc_cfg_error_format(&err, formatted, sizeof formatted);
    if (got != want || err.line != line || !strstr(formatted, msg))
        fail_msg("%s -> status %d line %u \"%s\"; want %d line %u \"%s\"", replacement, got, err.line, formatted, want, line, msg);
}

static void reports_errors_with_line_and_key(void **state) {
    (void)state;
    expect_error("interval_s=5\n", "interval_s 5\n", TC_CFG_ERR_SYNTAX, 8, "expected key=value");
    expect_error(NULL, "colour=blue\n", TC_CFG_ERR_UNKNOWN_KEY, 18, "line 18 (colour): unknown key");
    expect_error(NULL, "device_id=other\n", TC_CFG_ERR_DUPLICATE, 18, "given twice");
    expect_error("device_id = camara-1\n", "device_id=Camara 1\n", TC_CFG_ERR_BAD_VALUE, 2, "must match");
    expect_error("mqtt_uri=mqtt://192.168.0.10:1883\r\n", "mqtt_uri=http://gw\n", TC_CFG_ERR_BAD_VALUE, 4, "mqtt://");
    expect_error("wifi_password=secreto123\n", "wifi_password=short\n", TC_CFG_ERR_BAD_VALUE, 6, "WPA2");
    expect_error("interval_s=5\n", "interval_s=0\n", TC_CFG_ERR_BAD_VALUE, 8, "1..3600");
    expect_error("interval_s=5\n", "interval_s=5s\n", TC_CFG_ERR_BAD_VALUE, 8, "1..3600");
    expect_error("interval_s=5\n", "interval_s=-5\n", TC_CFG_ERR_BAD_VALUE, 8, "1..3600");
    expect_error("wifi_ssid=Tienda\n", "", TC_CFG_ERR_MISSING, 0, "wifi_ssid: required");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=34\n", TC_CFG_ERR_BAD_GPIO, 13, "input-only");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=7\n", TC_CFG_ERR_BAD_GPIO, 13, "not a usable");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=26\n", TC_CFG_ERR_DUPLICATE, 13, "gpio 26 is already used");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=compressor gpio=25\n", TC_CFG_ERR_DUPLICATE, 13, "relay \"compressor\"");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights\n", TC_CFG_ERR_MISSING, 13, "needs gpio");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=25 failsafe=duty:0:5\n", TC_CFG_ERR_BAD_VALUE, 13, "duty:<onSeconds>");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=25 failsafe=duty:600\n", TC_CFG_ERR_BAD_VALUE, 13, "failsafe must be");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=lights gpio=25 blink\n", TC_CFG_ERR_UNKNOWN_KEY, 13, "unknown relay option");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=pressure_kpa type=adc gpio=4\n", TC_CFG_ERR_BAD_GPIO, 16, "ADC1");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=pressure_kpa type=adc gpio=35 scale=nan\n", TC_CFG_ERR_BAD_VALUE, 16, "finite");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=pressure_kpa type=pt100 gpio=35\n", TC_CFG_ERR_BAD_VALUE, 16, "ds18b20, contact or adc");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=Pressure type=adc gpio=35\n", TC_CFG_ERR_BAD_VALUE, 16, "metric");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=temperature_c type=adc gpio=35\n", TC_CFG_ERR_DUPLICATE, 16, "metric");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=pressure_kpa gpio=35\n", TC_CFG_ERR_MISSING, 16, "type=");
    expect_error("sensor=door_open type=contact gpio=33 pull_up invert event=door.opened\n", "sensor=door_open type=contact gpio=33 event=Door\n", TC_CFG_ERR_BAD_VALUE, 15, "event must match");
    expect_error("sensor=pressure_kpa type=adc gpio=34 scale=0.125 offset=-50\n", "sensor=pressure_kpa type=adc gpio=34 event=x.y\n", TC_CFG_ERR_BAD_VALUE, 16, "only for contact");
    expect_error("setpoint=setpoint_c value=2 min=-30 max=30\n", "setpoint=setpoint_c value=40 min=-30 max=30\n", TC_CFG_ERR_BAD_VALUE, 17, "min <= value <= max");
    expect_error("setpoint=setpoint_c value=2 min=-30 max=30\n", "setpoint=interval_s value=2 min=1 max=30\n", TC_CFG_ERR_DUPLICATE, 0, "built in");
    expect_error("setpoint=setpoint_c value=2 min=-30 max=30\n", "setpoint=setpoint_c value=2\n", TC_CFG_ERR_SYNTAX, 17, "setpoint=<name>");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=failsafe gpio=25\n", TC_CFG_ERR_BAD_VALUE, 0, "reserved");
    expect_error("relay=lights gpio=25 failsafe=on\n", "relay=setpoint_c gpio=25\n", TC_CFG_ERR_DUPLICATE, 0, "also a setpoint");
    expect_error("setpoint=setpoint_c value=2 min=-30 max=30\n", "setpoint=fw value=2 min=1 max=3\n", TC_CFG_ERR_BAD_VALUE, 0, "reserved");
}

static void refuses_empty_oversized_and_pointless_configs(void **state) {
    (void)state;
    tc_config_t cfg;
    tc_cfg_error_t err;
    char erased[64];
    memset(erased, 0xFF, sizeof erased);
    assert_int_equal(tc_config_parse(erased, sizeof erased, &cfg, &err), TC_CFG_ERR_EMPTY);
    assert_int_equal(tc_config_parse("# only a comment\n\n", 18, &cfg, &err), TC_CFG_ERR_EMPTY);
    static char big[TC_CONFIG_MAX_BYTES + 10];
    memset(big, '#', sizeof big);
    assert_int_equal(tc_config_parse(big, sizeof big, &cfg, &err), TC_CFG_ERR_TOO_LARGE);
    const char *no_io = "device_id=n1\nmqtt_password=p\nmqtt_uri=mqtt://gw:1883\nwifi_ssid=s\n";
    assert_int_equal(tc_config_parse(no_io, strlen(no_io), &cfg, &err), TC_CFG_ERR_MISSING);
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "%s", no_io);
    for (int i = 0; i < TC_MAX_RELAYS + 1; i++) n += (size_t)snprintf(text + n, sizeof text - n, "relay=r%d gpio=%d\n", i, 12 + i);
    assert_int_equal(tc_config_parse(text, n, &cfg, &err), TC_CFG_ERR_TOO_MANY);
    assert_int_equal(err.line, 5 + TC_MAX_RELAYS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_full_config),
        cmocka_unit_test(applies_defaults),
        cmocka_unit_test(reports_errors_with_line_and_key),
        cmocka_unit_test(refuses_empty_oversized_and_pointless_configs),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
