/* Wi-Fi station. Connects once; reconnection is paced by the node task's backoff. */
#pragma once

#include "esp_err.h"
#include "tc_config.h"

esp_err_t wifi_link_start(const tc_config_t *cfg);
/* Called by the node task when its backoff delay has passed. */
void wifi_link_reconnect(void);
