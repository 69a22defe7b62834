/* Relay outputs on GPIOs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "esp_err.h"
#include "tc_config.h"

/* Configures every relay pin, de-energised first so boot never pulses a relay. */
esp_err_t relays_init(const tc_config_t *cfg);
void relays_set(size_t idx, bool on);
