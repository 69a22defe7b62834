/*
 * What a node does with a command: the checks and the answer (ack), apart from GPIOs and
 * MQTT so the decision is testable. Mirrors simulator/src/devices/node-commands.ts.
 *
 * Expiry. `expiresAt` is on the gateway's clock, which may differ from the node's (the
 * node may not have SNTP, and the gateway may run unsynced). So the node judges expiry
 * on an estimate of the gateway clock: the latest `issuedAt` it has seen plus the
 * monotonic time since. Every `issuedAt` is at most the gateway's time when it was sent,
 * so the estimate is a lower bound: a fresh command is never refused, and one that
 * waited at the broker past its expiry (a persistent session across a drop) is, as long
 * as anything newer was seen earlier in this boot. After a reboot the node has no
 * estimate yet, which is why it connects with a clean session first (main/mqtt_link.c).
 */
#ifndef TC_NODE_H
#define TC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc_failsafe.h"
#include "tc_payload.h"

#define TC_MAX_SETPOINTS 8

typedef struct {
    bool known;
    int64_t gw_ms;   /* gateway time at at_mono_ms */
    int64_t at_mono_ms;
} tc_gwclock_t;

void tc_gwclock_observe(tc_gwclock_t *c, int64_t issued_at, int64_t mono_ms);
/* The estimate of the gateway clock now, or -1 before the first command. */
int64_t tc_gwclock_now(const tc_gwclock_t *c, int64_t mono_ms);

typedef struct {
    char name[TC_KEY_MAX + 1];
    double value;
    double min;
    double max;
} tc_setpoint_t;

typedef struct {
    tc_setpoint_t item[TC_MAX_SETPOINTS];
    size_t n;
} tc_setpoints_t;

int tc_setpoints_find(const tc_setpoints_t *s, const char *name);

typedef struct {
    tc_failsafe_t *fs;
    tc_setpoints_t *setpoints;
    tc_gwclock_t gwclock;
} tc_node_t;

/* What a command changed, so the caller drives GPIOs, stores to NVS and reports state. */
enum {
    TC_CHANGED_RELAY = 1u << 0,
    TC_CHANGED_FAILSAFE = 1u << 1,
    TC_CHANGED_SETPOINT = 1u << 2,
};

/* Applies a decoded command at monotonic `mono_ms` and fills its ack. Returns TC_CHANGED_* flags. */
uint32_t tc_node_apply(tc_node_t *node, const tc_command_t *cmd, int64_t mono_ms, tc_ack_t *ack);

/*
 * Decodes and applies one payload from the cmd topic. Returns true when an ack must be
 * sent: always, except for a payload without a valid id (nothing to answer to).
 */
bool tc_node_handle(tc_node_t *node, const char *json, size_t len, int64_t mono_ms, tc_ack_t *ack, uint32_t *changed);

#endif
