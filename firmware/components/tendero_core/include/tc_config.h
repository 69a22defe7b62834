/*
 * Provisioning: the node's settings live in a raw `tconfig` data partition as UTF-8 text,
 * one `key=value` per line (firmware/README.md, "Config partition"). Text because a
 * technician can read and diff it, and it is written with stock ESP-IDF tools. The
 * content ends at the first NUL or erased-flash byte (0xFF). Every error names its line
 * and key; a node with a bad config does not join the network.
 */
#ifndef TC_CONFIG_H
#define TC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc_failsafe.h"
#include "tc_node.h"
#include "tc_payload.h"

#define TC_MAX_SENSORS 8
#define TC_CONFIG_MAX_BYTES 4096

typedef enum {
    TC_CFG_OK = 0,
    TC_CFG_ERR_EMPTY,        /* nothing but blank lines / erased flash */
    TC_CFG_ERR_TOO_LARGE,
    TC_CFG_ERR_SYNTAX,       /* a line without '=' */
    TC_CFG_ERR_UNKNOWN_KEY,
    TC_CFG_ERR_DUPLICATE,    /* a setting, relay, sensor, setpoint or GPIO given twice */
    TC_CFG_ERR_MISSING,      /* a required setting is absent */
    TC_CFG_ERR_BAD_VALUE,
    TC_CFG_ERR_TOO_MANY,
    TC_CFG_ERR_BAD_GPIO,
} tc_cfg_status_t;

typedef enum { TC_SENSOR_DS18B20, TC_SENSOR_CONTACT, TC_SENSOR_ADC } tc_sensor_type_t;

typedef struct {
    char name[TC_KEY_MAX + 1];
    int gpio;
    bool active_low;
    tc_failsafe_spec_t failsafe;
} tc_relay_cfg_t;

typedef struct {
    char metric[TC_KEY_MAX + 1];
    tc_sensor_type_t type;
    int gpio;
    bool pull_up;
    bool invert;  /* contact: report 1 when the input is low */
    char event[65]; /* contact: event kind published when the value goes 0 -> 1 (e.g. door.opened); empty: none */
    double scale; /* adc: value = raw_mv * scale + offset */
    double offset;
} tc_sensor_cfg_t;

typedef struct {
    char device_id[TC_DEVICE_ID_MAX + 1];
    char mqtt_password[129];
    char mqtt_uri[129];
    char wifi_ssid[33];
    char wifi_password[65];
    char ntp_server[65]; /* empty: no SNTP, payloads carry no `ts` */
    uint32_t interval_s;
    uint32_t keepalive_s;
    uint32_t failsafe_grace_s;
    tc_relay_cfg_t relay[TC_MAX_RELAYS];
    size_t n_relays;
    tc_sensor_cfg_t sensor[TC_MAX_SENSORS];
    size_t n_sensors;
    /* setpoint[0] is always interval_s, so the gateway can change the reading period. */
    tc_setpoints_t setpoints;
} tc_config_t;

typedef struct {
    tc_cfg_status_t status;
    unsigned line;   /* 1-based; 0 when not tied to one line */
    char key[32];
    char detail[96];
} tc_cfg_error_t;

/* Not reentrant: it edits a copy of the text in a static 4 KiB buffer, kept off the small boot stack. */
tc_cfg_status_t tc_config_parse(const char *text, size_t len, tc_config_t *cfg, tc_cfg_error_t *err);
const char *tc_cfg_status_str(tc_cfg_status_t s);
/* "line 4 (relay): gpio 34 is input-only" */
void tc_cfg_error_format(const tc_cfg_error_t *err, char *out, size_t cap);

#endif
