/* esp-mqtt glue: the node's session with the gateway's broker. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "esp_err.h"
#include "tc_config.h"

esp_err_t mqtt_link_init(const tc_config_t *cfg);
/* First call starts the client; later calls reconnect (auto-reconnect is off: the node task paces it). */
void mqtt_link_connect(void);
/* Queues a QoS 1 publish on the node's `channel` topic (sent by the MQTT task); returns the msg_id, or < 0. */
int mqtt_link_publish(const char *channel, const char *payload, size_t len);
