/*
 * Tendero's device payloads (protocol/README.md): topics, telemetry, state, event and
 * ack encoding, command decoding. The rules here mirror the TypeBox schemas in
 * protocol/src/{topics,telemetry,commands}.ts; firmware/test/payloads.test.ts checks the
 * output of this very code against them.
 */
#ifndef TC_PAYLOAD_H
#define TC_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc_failsafe.h"

#define TC_TOPIC_ROOT "tendero/v1"
#define TC_DEVICE_ID_MAX 64
#define TC_KEY_MAX 48          /* METRIC_PATTERN / STATE_KEY_PATTERN: 1 + up to 47 */
#define TC_MAX_READINGS 8      /* per sample (one per sensor); the protocol allows 64. Sized for RAM: the ring holds hundreds. */
#define TC_STATE_STRING_MAX 64
#define TC_ACK_ERROR_MAX 200
#define TC_COMMAND_ID_MAX 64
#define TC_MAX_PAYLOAD_BYTES 16384
#define TC_EPOCH_MS_MAX 8640000000000000LL

typedef enum {
    TC_OK = 0,
    TC_ERR_NOSPACE,    /* output buffer too small */
    TC_ERR_NON_FINITE, /* NaN or Infinity: JSON has no such number */
    TC_ERR_EMPTY,      /* the protocol needs at least one reading / state entry */
    TC_ERR_BAD_NAME,   /* a key or kind outside the protocol's pattern */
    TC_ERR_TOO_MANY,
    TC_ERR_DUPLICATE,
    TC_ERR_TOO_LONG,   /* a string past the protocol's maxLength */
    TC_ERR_RANGE,      /* a time or seq outside the protocol's range */
} tc_err_t;

const char *tc_err_str(tc_err_t e);

/* `^[a-z0-9][a-z0-9_-]{0,63}$` */
bool tc_valid_device_id(const char *s);
/* `^[a-z][a-z0-9_]{0,47}$`, the metric and state key pattern */
bool tc_valid_key(const char *s);
/* `^[a-z][a-z0-9_.]{0,63}$` */
bool tc_valid_event_kind(const char *s);
/* `^[A-Za-z0-9_.:-]+$`, 1..64 */
bool tc_valid_command_id(const char *s);

/* "tendero/v1/<deviceId>/<channel>"; false if the id is invalid or it does not fit. */
bool tc_topic(char *out, size_t cap, const char *device_id, const char *channel);

/* How the node turns its monotonic clock into epoch ms: known only after SNTP. */
typedef struct {
    bool synced;
    int64_t wall_minus_mono_ms;
} tc_clock_t;

/* Returns epoch ms for a monotonic instant, or -1 if the clock is not synced. */
int64_t tc_clock_epoch_ms(const tc_clock_t *c, int64_t mono_ms);

/* One reading round: metric ids index the node's metric name table. */
typedef struct {
    uint32_t seq;
    int64_t mono_ms;
    uint8_t count;
    uint8_t metric[TC_MAX_READINGS];
    double value[TC_MAX_READINGS];
} tc_sample_t;

void tc_sample_init(tc_sample_t *s, int64_t mono_ms);
/* Refuses NaN/Infinity (a failed sensor is left out of the round) and repeated metrics. */
tc_err_t tc_sample_add(tc_sample_t *s, uint8_t metric, double value);

/*
 * {"ts"?, "seq", "readings"}: `ts` only when the clock is synced now, computed from the
 * reading's monotonic time, so a reading buffered before SNTP synced still gets its true time.
 */
tc_err_t tc_encode_telemetry(char *out, size_t cap, size_t *len, const tc_sample_t *s, const char *const *metric_names,
                             size_t n_metrics, const tc_clock_t *clock);

typedef enum { TC_VAL_BOOL, TC_VAL_NUMBER, TC_VAL_STRING } tc_val_type_t;

typedef struct {
    const char *key;
    tc_val_type_t type;
    bool b;
    double num;
    const char *str;
} tc_kv_t;

/* {"ts"?, "state": {...}}; `ts_ms` < 0 omits it. 1..64 entries. */
tc_err_t tc_encode_state(char *out, size_t cap, size_t *len, int64_t ts_ms, const tc_kv_t *items, size_t n);
/* {"ts"?, "kind", "data"?}; data is omitted when n == 0; at most 32 entries. */
tc_err_t tc_encode_event(char *out, size_t cap, size_t *len, int64_t ts_ms, const char *kind, const tc_kv_t *data,
                         size_t n);

typedef struct {
    char id[TC_COMMAND_ID_MAX + 1];
    bool ok;
    char error[TC_ACK_ERROR_MAX + 1]; /* empty when ok */
} tc_ack_t;

tc_err_t tc_encode_ack(char *out, size_t cap, size_t *len, int64_t ts_ms, const tc_ack_t *ack);

typedef enum {
    TC_CMD_RELAY_SET,
    TC_CMD_SETPOINT_SET,
    TC_CMD_FAILSAFE_SET,
    /* Valid protocol commands meant for card readers and bar terminals, not relay nodes. */
    TC_CMD_ACCESS_RESULT,
    TC_CMD_CHARGE_RESULT,
} tc_cmd_kind_t;

typedef struct {
    char id[TC_COMMAND_ID_MAX + 1];
    int64_t issued_at;
    int64_t expires_at;
    tc_cmd_kind_t kind;
    char name[TC_KEY_MAX + 1]; /* relay.set / failsafe.set: relay; setpoint.set: name */
    bool on;
    double value;
    tc_failsafe_mode_t mode;
    uint32_t on_seconds;  /* 0 when absent */
    uint32_t off_seconds; /* 0 when absent */
} tc_command_t;

typedef struct {
    /* Set when the payload carried a valid id, so the refusal can still be acked. */
    bool has_id;
    char id[TC_COMMAND_ID_MAX + 1];
    /* e.g. "/expiresAt: must be an integer epoch ms"; fits an ack's error. */
    char reason[160];
} tc_decode_error_t;

const char *tc_cmd_kind_str(tc_cmd_kind_t k);

/* Decodes and checks a command as protocol's Command schema would; false with a reason otherwise. */
bool tc_decode_command(const char *json, size_t len, tc_command_t *out, tc_decode_error_t *err);

#endif
