/* Sensor inputs: DS18B20 probes (1-Wire), dry contacts, and ADC1 analog inputs. */
#pragma once

#include <stddef.h>

#include "esp_err.h"
#include "tc_config.h"

esp_err_t sensors_init(const tc_config_t *cfg);
/*
 * Reads sensor `idx`. Returns NAN when it cannot be read (probe missing, CRC error): the
 * reading is left out of that round instead of sending a made-up number.
 */
double sensors_read(size_t idx);
