#include "sensors.h"

#include <math.h>

#include "driver/gpio.h"
#include "ds18b20.h"
#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_cali_scheme.h"
#include "esp_adc/adc_oneshot.h"
#include "esp_check.h"
#include "esp_log.h"
#include "onewire_bus.h"

static const char *TAG = "sensors";

typedef struct {
    const tc_sensor_cfg_t *cfg;
    ds18b20_device_handle_t probe; /* ds18b20: the first probe found on its bus */
    adc_channel_t channel;         /* adc */
    adc_cali_handle_t cali;        /* adc: NULL if the chip has no calibration eFuse */
} sensor_t;

static sensor_t sensors[TC_MAX_SENSORS];
static size_t n_sensors;
static adc_oneshot_unit_handle_t adc1;

static esp_err_t init_ds18b20(sensor_t *s) {
    onewire_bus_handle_t bus;
    onewire_bus_config_t bus_config = {.bus_gpio_num = s->cfg->gpio};
    onewire_bus_rmt_config_t rmt_config = {.max_rx_bytes = 10};
    ESP_RETURN_ON_ERROR(onewire_new_bus_rmt(&bus_config, &rmt_config, &bus), TAG, "1-Wire bus on GPIO %d", s->cfg->gpio);
    onewire_device_iter_handle_t iter;
    ESP_RETURN_ON_ERROR(onewire_new_device_iter(bus, &iter), TAG, "1-Wire search");
    onewire_device_t dev;
    esp_err_t found = ESP_ERR_NOT_FOUND;
    /* A CRC error on one search pass is not the end of the bus: keep going until NOT_FOUND, a few tries at most. */
    for (int tries = 0; tries < 16; tries++) {
        esp_err_t next = onewire_device_iter_get_next(iter, &dev);
        if (next == ESP_ERR_NOT_FOUND) break;
        if (next != ESP_OK) continue;
        ds18b20_config_t ds_cfg = {};
        if (ds18b20_new_device(&dev, &ds_cfg, &s->probe) == ESP_OK) {
            found = ESP_OK;
            break;
        }
    }
    onewire_del_device_iter(iter);
    /* A missing probe is not fatal: the metric reads NAN and is left out until it is fixed. */
    if (found != ESP_OK) ESP_LOGW(TAG, "%s: no DS18B20 on GPIO %d", s->cfg->metric, s->cfg->gpio);
    return ESP_OK;
}

static esp_err_t init_adc(sensor_t *s) {
    adc_unit_t unit;
    ESP_RETURN_ON_ERROR(adc_oneshot_io_to_channel(s->cfg->gpio, &unit, &s->channel), TAG, "GPIO %d is not an ADC pin", s->cfg->gpio);
    if (!adc1) {
        adc_oneshot_unit_init_cfg_t unit_cfg = {.unit_id = ADC_UNIT_1};
        ESP_RETURN_ON_ERROR(adc_oneshot_new_unit(&unit_cfg, &adc1), TAG, "ADC1");
    }
    adc_oneshot_chan_cfg_t chan = {.atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
    ESP_RETURN_ON_ERROR(adc_oneshot_config_channel(adc1, s->channel, &chan), TAG, "ADC channel");
    adc_cali_line_fitting_config_t cali = {.unit_id = ADC_UNIT_1, .atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
    if (adc_cali_create_scheme_line_fitting(&cali, &s->cali) != ESP_OK) {
        ESP_LOGW(TAG, "%s: no ADC calibration, raw counts are scaled as mV", s->cfg->metric);
        s->cali = NULL;
    }
    return ESP_OK;
}

esp_err_t sensors_init(const tc_config_t *cfg) {
    n_sensors = cfg->n_sensors;
    for (size_t i = 0; i < n_sensors; i++) {
        sensor_t *s = &sensors[i];
        s->cfg = &cfg->sensor[i];
        esp_err_t err = ESP_OK;
        switch (s->cfg->type) {
        case TC_SENSOR_DS18B20: err = init_ds18b20(s); break;
        case TC_SENSOR_ADC: err = init_adc(s); break;
        case TC_SENSOR_CONTACT: {
            gpio_config_t io = {
                .pin_bit_mask = 1ULL << s->cfg->gpio,
                .mode = GPIO_MODE_INPUT,
                .pull_up_en = s->cfg->pull_up ? GPIO_PULLUP_ENABLE : GPIO_PULLUP_DISABLE,
                .pull_down_en = GPIO_PULLDOWN_DISABLE,
                .intr_type = GPIO_INTR_DISABLE,
            };
            err = gpio_config(&io);
            break;
        }
        }
        if (err != ESP_OK) return err;
    }
    return ESP_OK;
}

double sensors_read(size_t idx) {
    if (idx >= n_sensors) return NAN;
    sensor_t *s = &sensors[idx];
    switch (s->cfg->type) {
    case TC_SENSOR_CONTACT: {
        int level = gpio_get_level((gpio_num_t)s->cfg->gpio);
        return (double)(s->cfg->invert ? !level : level);
    }
    case TC_SENSOR_DS18B20: {
        if (!s->probe) return NAN;
        float c;
        /* Blocks for the conversion (up to 750 ms at 12 bits). */
        if (ds18b20_trigger_temperature_conversion(s->probe) != ESP_OK || ds18b20_get_temperature(s->probe, &c) != ESP_OK) {
            ESP_LOGW(TAG, "%s: DS18B20 read failed", s->cfg->metric);
            return NAN;
        }
        /* 85 °C is the power-on value of the scratchpad: a conversion that never ran. */
        if (c == 85.0f) return NAN;
        return round((double)c * 100) / 100;
    }
    case TC_SENSOR_ADC: {
        int raw, mv;
        if (adc_oneshot_read(adc1, s->channel, &raw) != ESP_OK) return NAN;
        if (!s->cali || adc_cali_raw_to_voltage(s->cali, raw, &mv) != ESP_OK) mv = raw;
        return mv * s->cfg->scale + s->cfg->offset;
    }
    }
    return NAN;
}
