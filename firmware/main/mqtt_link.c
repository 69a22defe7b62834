#include "mqtt_link.h"

#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "mqtt_client.h"
#include "node_task.h"
#include "tc_payload.h"

static const char *TAG = "mqtt";

static esp_mqtt_client_handle_t client;
static esp_mqtt_client_config_t mqtt_cfg;
static const tc_config_t *config;
static char cmd_topic[96];
static bool started;
static bool connected_once;
/* A command may arrive in several MQTT_EVENT_DATA chunks; they are joined here (MQTT task only). */
static char *assembling;
static size_t assembling_len;

static void on_data(const esp_mqtt_event_t *e) {
    if (e->current_data_offset == 0) {
        free(assembling);
        assembling = NULL;
        /* The broker sends only our cmd topic; anything else is ignored. */
        if (e->topic_len != (int)strlen(cmd_topic) || memcmp(e->topic, cmd_topic, (size_t)e->topic_len) != 0) return;
        if (e->total_data_len > TC_MAX_PAYLOAD_BYTES) {
            ESP_LOGW(TAG, "command of %d bytes ignored", e->total_data_len);
            return;
        }
        assembling = malloc((size_t)e->total_data_len + 1);
        assembling_len = 0;
    }
    if (!assembling) return;
    memcpy(assembling + e->current_data_offset, e->data, (size_t)e->data_len);
    assembling_len += (size_t)e->data_len;
    if (assembling_len == (size_t)e->total_data_len) {
        assembling[assembling_len] = '\0';
        node_post(&(node_event_t){.type = NODE_EV_COMMAND, .data = assembling, .len = assembling_len});
        assembling = NULL; /* owned by the node task now */
    }
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
    (void)arg;
    (void)base;
    esp_mqtt_event_handle_t e = data;
    switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_BEFORE_CONNECT:
        if (connected_once && !mqtt_cfg.session.disable_clean_session) {
            /*
             * The first session after boot was clean: commands queued for an earlier boot
             * were dropped by the broker, because this boot cannot judge their expiry yet
             * (tc_node.h). From the second connect on the session persists, so commands
             * sent during a short drop wait at the broker and are judged on arrival.
             * esp-mqtt's documented place for a config change is this event.
             */
            mqtt_cfg.session.disable_clean_session = true;
            esp_mqtt_set_config(client, &mqtt_cfg);
        }
        break;
    case MQTT_EVENT_CONNECTED:
        ESP_LOGI(TAG, "connected (session present: %d)", e->session_present);
        esp_mqtt_client_subscribe(client, cmd_topic, 1);
        connected_once = true;
        node_post(&(node_event_t){.type = NODE_EV_MQTT_UP});
        break;
    case MQTT_EVENT_DISCONNECTED: node_post(&(node_event_t){.type = NODE_EV_MQTT_DOWN}); break;
    case MQTT_EVENT_PUBLISHED: node_post(&(node_event_t){.type = NODE_EV_PUBACK, .arg = e->msg_id}); break;
    case MQTT_EVENT_DATA: on_data(e); break;
    case MQTT_EVENT_ERROR:
        if (e->error_handle && e->error_handle->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED) {
            ESP_LOGE(TAG, "broker refused device %s: CONNACK %d (4 = bad username or password)", config->device_id,
                     e->error_handle->connect_return_code);
            node_post(&(node_event_t){.type = NODE_EV_MQTT_REFUSED});
        }
        break;
    default: break;
    }
}

esp_err_t mqtt_link_init(const tc_config_t *cfg) {
    config = cfg;
    if (!tc_topic(cmd_topic, sizeof cmd_topic, cfg->device_id, "cmd")) return ESP_ERR_INVALID_ARG;
    /* client id = username = device id: the gateway refuses anything else (gateway/README.md). */
    mqtt_cfg = (esp_mqtt_client_config_t){
        .broker.address.uri = cfg->mqtt_uri,
        .credentials.client_id = cfg->device_id,
        .credentials.username = cfg->device_id,
        .credentials.authentication.password = cfg->mqtt_password,
        .session.keepalive = (int)cfg->keepalive_s,
        .session.protocol_ver = MQTT_PROTOCOL_V_3_1_1,
        .session.disable_clean_session = false,
        .network.disable_auto_reconnect = true,
        .network.timeout_ms = 10000,
        .buffer.size = 2048,
    };
    client = esp_mqtt_client_init(&mqtt_cfg);
    if (!client) return ESP_FAIL;
    return esp_mqtt_client_register_event(client, ESP_EVENT_ANY_ID, on_event, NULL);
}

void mqtt_link_connect(void) {
    esp_err_t err = started ? esp_mqtt_client_reconnect(client) : esp_mqtt_client_start(client);
    started = true;
    if (err != ESP_OK) ESP_LOGW(TAG, "connect: %s", esp_err_to_name(err));
}

int mqtt_link_publish(const char *channel, const char *payload, size_t len) {
    char topic[96];
    if (!tc_topic(topic, sizeof topic, config->device_id, channel)) return -1;
    /* enqueue, not publish: publish may block the node task for the network timeout (10 s). */
    return esp_mqtt_client_enqueue(client, topic, payload, (int)len, 1, 0, true);
}
