/*
 * The node task owns all of the node's state (tendero_core objects); the Wi-Fi, MQTT and
 * SNTP callbacks run in other tasks and only post events to its queue.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "tc_config.h"

typedef enum {
    NODE_EV_WIFI_UP,
    NODE_EV_WIFI_DOWN,
    NODE_EV_MQTT_UP,     /* CONNACK and the cmd subscription sent */
    NODE_EV_MQTT_DOWN,
    NODE_EV_MQTT_REFUSED, /* CONNACK refused: wrong password or unknown device */
    NODE_EV_PUBACK,      /* arg: msg_id */
    NODE_EV_COMMAND,     /* data/len: a copy of the cmd payload, freed by the node task */
    NODE_EV_CLOCK,       /* arg64: wall-clock minus monotonic ms once SNTP synced */
} node_event_type_t;

typedef struct {
    node_event_type_t type;
    int arg;
    int64_t arg64;
    char *data;
    size_t len;
} node_event_t;

/* Safe from any task; drops (and frees) the event if the queue is full. */
void node_post(const node_event_t *ev);
void node_task_start(const tc_config_t *cfg);
