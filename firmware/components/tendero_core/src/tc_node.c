#include "tc_node.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void tc_gwclock_observe(tc_gwclock_t *c, int64_t issued_at, int64_t mono_ms) {
    /* Keep the larger of the running estimate and the new stamp: both are lower bounds. */
    if (c->known && tc_gwclock_now(c, mono_ms) >= issued_at) return;
    c->known = true;
    c->gw_ms = issued_at;
    c->at_mono_ms = mono_ms;
}

int64_t tc_gwclock_now(const tc_gwclock_t *c, int64_t mono_ms) {
    if (!c->known) return -1;
    return c->gw_ms + (mono_ms - c->at_mono_ms);
}

int tc_setpoints_find(const tc_setpoints_t *s, const char *name) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->item[i].name, name) == 0) return (int)i;
    return -1;
}

static uint32_t refuse(tc_ack_t *ack, const char *error) {
    ack->ok = false;
    snprintf(ack->error, sizeof ack->error, "%s", error);
    return 0;
}

uint32_t tc_node_apply(tc_node_t *node, const tc_command_t *cmd, int64_t mono_ms, tc_ack_t *ack) {
    memset(ack, 0, sizeof *ack);
    snprintf(ack->id, sizeof ack->id, "%s", cmd->id);
    ack->ok = true;
    tc_gwclock_observe(&node->gwclock, cmd->issued_at, mono_ms);
    /* `<=`, as the gateway's own Modbus path judges expiry. */
    if (cmd->expires_at <= tc_gwclock_now(&node->gwclock, mono_ms)) return refuse(ack, "expired");

    switch (cmd->kind) {
    case TC_CMD_RELAY_SET: {
        int i = tc_failsafe_find(node->fs, cmd->name);
        if (i < 0) return refuse(ack, "unknown_relay");
        tc_failsafe_command(node->fs, (size_t)i, cmd->on);
        /* Reported even when it was already so: the gateway asked, it gets the state back. */
        return TC_CHANGED_RELAY;
    }
    case TC_CMD_FAILSAFE_SET: {
        int i = tc_failsafe_find(node->fs, cmd->name);
        if (i < 0) return refuse(ack, "unknown_relay");
        tc_failsafe_spec_t spec = {.mode = cmd->mode};
        if (cmd->mode == TC_FS_DUTY) {
            spec.on_s = cmd->on_seconds;
            spec.off_s = cmd->off_seconds;
        }
        if (!tc_failsafe_set_spec(node->fs, (size_t)i, &spec, mono_ms)) return refuse(ack, "invalid_failsafe");
        return TC_CHANGED_FAILSAFE;
    }
    case TC_CMD_SETPOINT_SET: {
        int i = tc_setpoints_find(node->setpoints, cmd->name);
        if (i < 0) return refuse(ack, "unknown_setpoint");
        tc_setpoint_t *sp = &node->setpoints->item[i];
        if (!(cmd->value >= sp->min && cmd->value <= sp->max)) return refuse(ack, "out_of_range");
        sp->value = cmd->value;
        return TC_CHANGED_SETPOINT;
    }
    case TC_CMD_ACCESS_RESULT:
    case TC_CMD_CHARGE_RESULT: return refuse(ack, "unsupported_command");
    }
    return refuse(ack, "unsupported_command");
}

bool tc_node_handle(tc_node_t *node, const char *json, size_t len, int64_t mono_ms, tc_ack_t *ack, uint32_t *changed) {
    tc_command_t cmd;
    tc_decode_error_t err;
    *changed = 0;
    memset(ack, 0, sizeof *ack);
    if (!tc_decode_command(json, len, &cmd, &err)) {
        if (!err.has_id) return false;
        snprintf(ack->id, sizeof ack->id, "%s", err.id);
        ack->ok = false;
        snprintf(ack->error, sizeof ack->error, "bad_command: %s", err.reason);
        return true;
    }
    *changed = tc_node_apply(node, &cmd, mono_ms, ack);
    return true;
}
