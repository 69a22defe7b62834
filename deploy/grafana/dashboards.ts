/**
 * Tendero's Grafana dashboards, as code (@grafana/grafana-foundation-sdk). Run
 * `npm run grafana:dashboards` (tsx deploy/grafana/dashboards.ts) after changing a panel:
 * it rewrites deploy/grafana/dashboards/*.json, which Grafana loads through
 * provisioning/dashboards/tendero.yaml. test/deploy/grafana.test.ts fails when the
 * committed JSON is stale, or when a query names a metric, measurement, field or tag that
 * the gateway and the cloud do not really produce.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  SpecialValueMatch,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  type DataSourceRef,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard'
import { GraphDrawStyle } from '@grafana/grafana-foundation-sdk/common'
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus'
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries'
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline'
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table'

/** Fixed datasource uids; provisioning/datasources/tendero.yaml gives them to Grafana. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'tendero-prometheus' }
export const INFLUXDB: DataSourceRef = { type: 'influxdb', uid: 'tendero-influxdb' }

export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboards/', import.meta.url))

// ---------------------------------------------------------------- Prometheus

/** One PromQL query; `$instance` picks the scraped gateway or cloud. */
function prom(expr: string, legend: string, refId = 'A') {
  return new PromQuery().expr(expr).legendFormat(legend).refId(refId).datasource(PROMETHEUS)
}

const gw = (metric: string) => `tendero_gateway_${metric}{instance=~"$instance"}`
const cl = (metric: string) => `tendero_cloud_${metric}{instance=~"$instance"}`
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`

function instanceVariable(metric: string) {
  return new QueryVariableBuilder('instance')
    .label('Instancia / Instance')
    .datasource(PROMETHEUS)
    .query(`label_values(${metric}, instance)`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
}

function series(title: string, unit: string, targets: cog.Builder<cog.Dataquery>[], description?: string) {
  const panel = new TimeSeries().title(title).unit(unit).targets(targets).height(8).span(12).datasource(PROMETHEUS)
  return description ? panel.description(description) : panel
}

function stat(title: string, unit: string, target: cog.Builder<cog.Dataquery>, steps: { value: number | null; color: string }[]) {
  return new Stat()
    .title(title)
    .unit(unit)
    .withTarget(target)
    .height(4)
    .span(6)
    .datasource(PROMETHEUS)
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps))
}

const okIsGreen = [{ value: null, color: 'red' }, { value: 1, color: 'green' }]

export function gatewayDashboard(): Dashboard {
  return new DashboardBuilder('Tendero — gateway')
    .uid('tendero-gateway')
    .description('Métricas del gateway del local (GET /metrics) / On-site gateway metrics')
    .tags(['tendero', 'gateway'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(instanceVariable('tendero_gateway_log_last_seq'))
    .withRow(new RowBuilder('Estado / Status'))
    .withPanel(stat('Clientes MQTT / MQTT clients', 'short', prom(`sum(${gw('mqtt_clients')})`, 'clientes'), [{ value: null, color: 'blue' }]))
    .withPanel(
      stat('Días de buffer / Buffer days left', 'd', prom(`min(${gw('log_buffer_days_left')})`, 'días'), [
        { value: null, color: 'red' },
        { value: 2, color: 'orange' },
        { value: 7, color: 'green' },
      ])
        .description('Cuánto aguanta el log sin nube al ritmo actual / How long the log lasts without the cloud at the current rate')
        .mappings([{ type: MappingType.SpecialValue, options: { match: SpecialValueMatch.NotANumber, result: { text: 'sin dato / unknown' } } }]),
    )
    .withPanel(stat('Reloj sincronizado / Clock synced', 'bool_yes_no', prom(`min(${gw('clock_synced')})`, 'reloj'), okIsGreen))
    .withPanel(
      stat('Alarmas activas / Active alarms', 'short', prom(`sum(${gw('alarms_active')})`, 'alarmas'), [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ]),
    )
    .withRow(new RowBuilder('Dispositivos / Devices'))
    .withPanel(
      series('Mensajes aceptados por canal / Accepted messages by channel', 'reqps', [
        prom(`sum by (channel) (${rate(gw('mqtt_messages_accepted_total'))})`, '{{channel}}'),
      ]),
    )
    .withPanel(
      series('Rechazos por motivo / Rejections by reason', 'reqps', [
        prom(`sum by (reason) (${rate(gw('mqtt_messages_rejected_total'))})`, 'mensaje: {{reason}}'),
        prom(`sum by (reason) (${rate(gw('mqtt_connect_refused_total'))})`, 'conexión: {{reason}}', 'B'),
      ]),
    )
    .withPanel(
      series('Comandos enviados / Commands sent', 'reqps', [
        prom(`sum by (source, transport) (${rate(gw('commands_sent_total'))})`, '{{source}} ({{transport}})'),
      ]),
    )
    .withPanel(
      new StateTimeline()
        .title('Equipos Modbus / Modbus devices')
        .withTarget(prom(gw('modbus_device_up'), '{{device}}'))
        .datasource(PROMETHEUS)
        .height(8)
        .span(12)
        .mappings([
          { type: MappingType.ValueToText, options: { '0': { text: 'sin respuesta / unavailable', color: 'red' }, '1': { text: 'en línea / online', color: 'green' } } },
        ]),
    )
    .withRow(new RowBuilder('Sincronización / Sync'))
    .withPanel(
      series('Lag de sincronización (eventos) / Sync lag (events)', 'short', [
        prom(gw('uplink_lag_events'), 'nube / cloud'),
        prom(gw('influx_lag_events'), 'InfluxDB', 'B'),
      ]),
    )
    .withPanel(
      series('Lag de sincronización (segundos) / Sync lag (seconds)', 's', [
        prom(gw('uplink_lag_seconds'), 'nube / cloud'),
        prom(gw('influx_lag_seconds'), 'InfluxDB', 'B'),
      ]),
    )
    .withPanel(
      series('Envíos a la nube / Uplink requests', 'reqps', [
        prom(`sum by (result) (${rate(gw('uplink_requests_total'))})`, '{{result}}'),
        prom(`sum(${rate(gw('uplink_events_acked_total'))})`, 'eventos confirmados / events acked', 'B'),
        prom(`sum(${rate(gw('uplink_quarantined_total'))})`, 'en cuarentena / quarantined', 'C'),
      ]),
    )
    .withPanel(
      series('Ida y vuelta con la nube (p95) / Uplink round trip (p95)', 's', [
        prom(`histogram_quantile(0.95, sum by (le) (${rate(gw('uplink_rtt_seconds_bucket'))}))`, 'p95'),
      ]),
    )
    .withRow(new RowBuilder('Disco y proceso / Disk and process'))
    .withPanel(
      series('Log en disco vs presupuesto / Log bytes vs budget', 'bytes', [
        prom(gw('log_used_bytes'), 'usado / used'),
        prom(gw('log_max_bytes'), 'presupuesto / budget', 'B'),
      ]),
    )
    .withPanel(
      series('Memoria del proceso / Process memory', 'bytes', [
        prom(gw('process_resident_memory_bytes'), 'RSS'),
        prom(gw('nodejs_heap_size_used_bytes'), 'heap', 'B'),
      ]),
    )
    .withPanel(
      series('Escrituras en InfluxDB / InfluxDB writes', 'reqps', [
        prom(`sum by (result) (${rate(gw('influx_writes_total'))})`, '{{result}}'),
        prom(`sum(${rate(gw('influx_points_written_total'))})`, 'puntos / points', 'B'),
      ]),
    )
    .withPanel(
      series('Alarmas levantadas / Alarms raised', 'short', [
        prom(`sum by (severity) (increase(${gw('alarms_raised_total')}[$__rate_interval]))`, '{{severity}}'),
      ]),
    )
    .build()
}

export function cloudDashboard(): Dashboard {
  return new DashboardBuilder('Tendero — cloud')
    .uid('tendero-cloud')
    .description('Métricas de la nube (GET /metrics) / Cloud metrics')
    .tags(['tendero', 'cloud'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(instanceVariable('tendero_cloud_db_up'))
    .withPanel(stat('Base de datos / Database', 'bool_yes_no', prom(`min(${cl('db_up')})`, 'db'), okIsGreen))
    .withPanel(stat('Sockets en tiempo real / Realtime sockets', 'short', prom(`sum(${cl('realtime_sockets')})`, 'sockets'), [{ value: null, color: 'blue' }]))
    .withPanel(
      stat('Pendientes en bandejas / Outbox pending', 'short', prom(`sum(${cl('outbox_pending')})`, 'pendientes'), [
        { value: null, color: 'green' },
        { value: 100, color: 'orange' },
      ]),
    )
    .withPanel(
      stat('Fallas de tareas (1 h) / Job failures (1 h)', 'short', prom(`sum(increase(${cl('job_failures_total')}[1h]))`, 'fallas'), [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ]),
    )
    .withPanel(
      series('Pedidos por ruta / Requests by route', 'reqps', [
        prom(`sum by (route, status) (${rate(cl('http_request_duration_seconds_count'))})`, '{{route}} {{status}}'),
      ]),
    )
    .withPanel(
      series('Latencia p95 por ruta / p95 latency by route', 's', [
        prom(`histogram_quantile(0.95, sum by (le, route) (${rate(cl('http_request_duration_seconds_bucket'))}))`, '{{route}}'),
      ]),
    )
    .withPanel(
      series('Ingesta de eventos / Event ingest', 'reqps', [
        prom(`sum by (outcome) (${rate(cl('ingest_events_total'))})`, '{{outcome}}'),
        prom(`sum(${rate(cl('ingest_batches_total'))})`, 'lotes / batches', 'B'),
      ]),
    )
    .withPanel(
      series('Bandejas de salida / Outboxes', 'short', [prom(`sum by (outbox) (${cl('outbox_pending')})`, '{{outbox}}')]),
    )
    .withPanel(
      series('Tareas periódicas / Periodic jobs', 'short', [
        prom(`sum by (job) (increase(${cl('job_runs_total')}[$__rate_interval]))`, '{{job}}'),
        prom(`sum by (job) (increase(${cl('job_failures_total')}[$__rate_interval]))`, '{{job}} (fallas / failures)', 'B'),
      ]),
    )
    .withPanel(
      series('Memoria del proceso / Process memory', 'bytes', [
        prom(cl('process_resident_memory_bytes'), '{{instance}} RSS'),
        prom(cl('nodejs_heap_size_used_bytes'), '{{instance}} heap', 'B'),
      ]),
    )
    .build()
}

// ---------------------------------------------------------------- InfluxDB (history on site)

/**
 * A raw InfluxQL query for Grafana's InfluxDB 1.x datasource. The SDK ships no InfluxDB
 * query builder, so this is the few fields the datasource reads.
 */
class InfluxQuery implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly query: string,
    private readonly refId = 'A',
    private readonly format: 'time_series' | 'table' = 'time_series',
    private readonly alias?: string,
  ) {}

  build(): cog.Dataquery {
    return {
      refId: this.refId,
      datasource: INFLUXDB,
      query: this.query,
      rawQuery: true,
      resultFormat: this.format,
      ...(this.alias ? { alias: this.alias } : {}),
      _implementsDataqueryVariant() {},
    } as cog.Dataquery
  }
}

const deviceFilter = `"device" =~ /^$device$/`

export function historyDashboard(): Dashboard {
  return new DashboardBuilder('Tendero — historial del local')
    .uid('tendero-history')
    .description('Historial del local en InfluxDB (escrito por el gateway) / On-site history in InfluxDB, written by the gateway')
    .tags(['tendero', 'influxdb'])
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(
      new QueryVariableBuilder('device')
        .label('Equipo / Device')
        .datasource(INFLUXDB)
        .query('SHOW TAG VALUES FROM "telemetry" WITH KEY = "device"')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withPanel(
      new TimeSeries()
        .title('Temperatura por equipo / Temperature per device')
        .unit('celsius')
        .datasource(INFLUXDB)
        .height(9)
        .span(24)
        .withTarget(
          new InfluxQuery(
            `SELECT mean("temperature_c") FROM "telemetry" WHERE ${deviceFilter} AND $timeFilter GROUP BY time($__interval), "device" fill(null)`,
            'A',
            'time_series',
            '$tag_device',
          ),
        ),
    )
    .withPanel(
      new StateTimeline()
        .title('Compresores / Compressors')
        .description('Estado informado por cada equipo / State each device reported')
        .datasource(INFLUXDB)
        .height(7)
        .span(12)
        .withTarget(
          new InfluxQuery(`SELECT last("compressor") FROM "state" WHERE ${deviceFilter} AND $timeFilter GROUP BY time($__interval), "device" fill(previous)`, 'A', 'time_series', '$tag_device'),
        )
        .mappings([
          { type: MappingType.ValueToText, options: { 'true': { text: 'encendido / on', color: 'blue' }, 'false': { text: 'apagado / off', color: 'text' } } },
        ]),
    )
    .withPanel(
      new TimeSeries()
        .title('Alarmas levantadas / Alarms raised')
        .unit('short')
        .datasource(INFLUXDB)
        .height(7)
        .span(12)
        .drawStyle(GraphDrawStyle.Bars)
        .withTarget(
          new InfluxQuery(`SELECT count("alarm_id") FROM "alarm" WHERE "state" = 'raised' AND $timeFilter GROUP BY time($__interval), "severity" fill(0)`, 'A', 'time_series', '$tag_severity'),
        ),
    )
    .withPanel(
      new Table()
        .title('Últimas alarmas / Latest alarms')
        .datasource(INFLUXDB)
        .height(8)
        .span(24)
        .withTarget(
          new InfluxQuery(
            `SELECT "device", "rule", "severity", "state", "message", "value" FROM "alarm" WHERE $timeFilter ORDER BY time DESC LIMIT 100`,
            'A',
            'table',
          ),
        ),
    )
    .withPanel(
      new Table()
        .title('Huecos de datos / Data gaps')
        .description('Lo que el presupuesto de disco resumió o quitó / What the disk budget folded or removed')
        .datasource(INFLUXDB)
        .height(6)
        .span(24)
        .withTarget(new InfluxQuery(`SELECT "reason", "removed", "written", "devices" FROM "data_gap" WHERE $timeFilter ORDER BY time DESC LIMIT 50`, 'A', 'table')),
    )
    .build()
}

/** File name → dashboard, in a fixed order. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    'tendero-gateway.json': gatewayDashboard(),
    'tendero-history.json': historyDashboard(),
    'tendero-cloud.json': cloudDashboard(),
  }
}

/** The files as they are committed: two-space JSON with a final newline. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(Object.entries(buildDashboards()).map(([file, d]) => [file, `${JSON.stringify(d, null, 2)}\n`]))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, text] of Object.entries(renderDashboards())) {
    writeFileSync(`${DASHBOARD_DIR}${file}`, text)
    console.log(`wrote deploy/grafana/dashboards/${file}`)
  }
}
