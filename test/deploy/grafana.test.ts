import { readFileSync, readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { DASHBOARD_DIR, INFLUXDB, PROMETHEUS, renderDashboards } from '../../deploy/grafana/dashboards.js'
import type { LogEvent } from '@tendero/protocol'
import { INFLUX_MEASUREMENTS, toPoint } from '../../gateway/src/sinks/influx-points.js'
import { haveInfluxd } from '../../gateway/test/influx-harness.js'
import { drive, INFLUX_DATABASE, scrape, startStack, type Stack } from './stack.js'
import { influxqlNames, missingMetric, parseExposition, promqlMetricNames, type MetricFamily } from './queries.js'

const repo = new URL('../../', import.meta.url)

/** Events of kinds a short run cannot produce, for a mapping-only check of their measurement. */
const MAPPED_ONLY: Record<string, LogEvent> = {
  data_gap: {
    seq: 9, kind: 'gap', deviceId: 'gw-demo-01', time: 1, receivedAt: 1, bootId: '0b7c9d1e-3f7a-4c55-9a49-1f0c2f6c8a11', monoMs: 1, clockSynced: true,
    body: { reason: 'downsampled', fromSeq: 1, toSeq: 8, fromTime: 1, toTime: 2, removed: 8, written: 1, devices: ['camara-1'] },
  },
}
const committed = (file: string) => readFileSync(new URL(`deploy/grafana/dashboards/${file}`, repo), 'utf8')

interface Target {
  datasource?: { uid?: string }
  expr?: string
  query?: string
}

/** Every query of a dashboard: panel targets (rows included) and template variables. */
function queries(dashboard: unknown): { uid: string; text: string }[] {
  const out: { uid: string; text: string }[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (!node || typeof node !== 'object') return
    const o = node as { targets?: Target[]; panels?: unknown[]; type?: string; query?: unknown; datasource?: { uid?: string } }
    for (const t of o.targets ?? []) out.push({ uid: t.datasource?.uid ?? '', text: t.expr ?? t.query ?? '' })
    if (o.panels) walk(o.panels)
  }
  const d = dashboard as { panels: unknown[]; templating?: { list?: { type: string; query: unknown; datasource?: { uid?: string } }[] } }
  walk(d.panels)
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query' || typeof v.query !== 'string') continue
    // label_values(metric, label) names a metric like any selector does.
    const labelValues = /^label_values\((.+),\s*\w+\)$/.exec(v.query)
    out.push({ uid: v.datasource?.uid ?? '', text: labelValues ? labelValues[1]! : v.query })
  }
  return out
}

const dashboards = () => Object.fromEntries(Object.entries(renderDashboards()).map(([f, text]) => [f, JSON.parse(text) as unknown]))

function promNames(file: string): string[] {
  const qs = queries(dashboards()[file]).filter((q) => q.uid === PROMETHEUS.uid)
  expect(qs.length).toBeGreaterThan(3)
  return [...new Set(qs.flatMap((q) => promqlMetricNames(q.text)))]
}

function unknownNames(families: Map<string, MetricFamily>, names: string[]): string[] {
  return names.flatMap((n) => missingMetric(families, n) ?? [])
}

describe('grafana dashboards as code', () => {
  it('the committed JSON is exactly what the generator writes (run `npm run grafana:dashboards`)', () => {
    const rendered = renderDashboards()
    expect(readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(rendered).sort())
    for (const [file, text] of Object.entries(rendered)) expect(committed(file), `${file} is stale`).toBe(text)
  })

  it('dashboards reference only the provisioned datasources, and provisioning points at the compose hosts', () => {
    const ds = parseYaml(readFileSync(new URL('deploy/grafana/provisioning/datasources/tendero.yaml', repo), 'utf8')) as {
      datasources: { uid: string; type: string; url: string; jsonData?: { dbName?: string } }[]
    }
    const byUid = new Map(ds.datasources.map((d) => [d.uid, d]))
    expect(byUid.get(PROMETHEUS.uid!)).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' })
    expect(byUid.get(INFLUXDB.uid!)).toMatchObject({ type: 'influxdb', url: 'http://influxdb:8086', jsonData: { dbName: 'tendero' } })
    for (const [file, d] of Object.entries(dashboards()))
      for (const q of queries(d)) expect(byUid.has(q.uid), `${file}: datasource ${q.uid} is not provisioned`).toBe(true)

    const providers = parseYaml(readFileSync(new URL('deploy/grafana/provisioning/dashboards/tendero.yaml', repo), 'utf8')) as {
      providers: { type: string; options: { path: string } }[]
    }
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } })
    const prometheus = parseYaml(readFileSync(new URL('deploy/prometheus/prometheus.yml', repo), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[]
    }
    const targets = Object.fromEntries(prometheus.scrape_configs.map((c) => [c.job_name, { path: c.metrics_path, targets: c.static_configs.flatMap((s) => s.targets) }]))
    expect(targets).toEqual({ 'tendero-gateway': { path: '/metrics', targets: ['gateway:8090'] }, 'tendero-cloud': { path: '/metrics', targets: ['cloud:8080'] } })
  })

  it('the name checks can fail: made-up metrics, fields and tags are caught', () => {
    expect(promqlMetricNames('sum by (reason) (rate(tendero_gateway_x_total{instance=~"$instance", a="b(c)"}[$__rate_interval])) / on(job) tendero_y')).toEqual([
      'tendero_gateway_x_total',
      'tendero_y',
    ])
    expect(promqlMetricNames('histogram_quantile(0.95, sum by (le) (rate(h_seconds_bucket[5m]))) > 1e3')).toEqual(['h_seconds_bucket'])
    const families = parseExposition('# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n# TYPE c counter\nc 2\n# TYPE empty gauge\n')
    expect(unknownNames(families, ['h_bucket', 'h_count', 'c'])).toEqual([])
    expect(unknownNames(families, ['c_bucket', 'tendero_gateway_made_up_total', 'empty'])).toHaveLength(3)

    const q = influxqlNames(`SELECT mean("temperature_c") FROM "telemetry" WHERE "device" =~ /^$device$/ AND $timeFilter GROUP BY time($__interval), "device" fill(null)`)
    expect(q).toEqual({ measurements: ['telemetry'], fields: ['temperature_c'], tags: ['device', 'device'], selected: [] })
    expect(() => influxqlNames('SELECT * FROM telemetry')).toThrow(/not in the generator's form/)
  })
})

describe('dashboard queries name what a real gateway and cloud expose', () => {
  let stack: Stack
  let gatewayScrape: Map<string, MetricFamily>
  let cloudScrape: Map<string, MetricFamily>

  beforeAll(async () => {
    stack = await startStack({ influx: haveInfluxd })
    await drive(stack)
    const gw = await scrape(`http://127.0.0.1:${stack.gateway.apiPort}/metrics`)
    gatewayScrape = parseExposition(await gw.text())
    const cloud = await scrape(`${stack.cloudUrl}/metrics`)
    cloudScrape = parseExposition(await cloud.text())
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('every metric in the gateway dashboard is in a scrape of a gateway that saw real MQTT traffic', () => {
    const names = promNames('tendero-gateway.json')
    expect(names).toContain('tendero_gateway_mqtt_messages_accepted_total')
    expect(unknownNames(gatewayScrape, names)).toEqual([])
    // And the check is against this scrape: a cloud metric is not a gateway metric.
    expect(unknownNames(gatewayScrape, ['tendero_cloud_db_up'])).toHaveLength(1)
  })

  it('every metric in the cloud dashboard is in a scrape of a cloud that stored a real batch', () => {
    const names = promNames('tendero-cloud.json')
    expect(names).toContain('tendero_cloud_http_request_duration_seconds_bucket')
    expect(unknownNames(cloudScrape, names)).toEqual([])
  })

  it('the history dashboard names only measurements, fields and tags the gateway sink writes', async () => {
    const qs = queries(dashboards()['tendero-history.json']).filter((q) => q.uid === INFLUXDB.uid)
    expect(qs.length).toBeGreaterThan(3)
    const used = qs.map((q) => influxqlNames(q.text))
    for (const u of used) for (const m of u.measurements) expect(INFLUX_MEASUREMENTS).toContain(m)

    // Names per measurement: what a real influxd holds after the sink wrote the driven
    // traffic; for a measurement that traffic cannot produce in seconds (`data_gap`, the
    // disk budget's), the sink's own mapping of an event of that kind.
    const written = new Map<string, { fields: Set<string>; tags: Set<string> }>()
    if (stack.influx) {
      const influxql = async (q: string) => {
        const res = await fetch(`${stack.influx!.url}/query?db=${INFLUX_DATABASE}&q=${encodeURIComponent(q)}`)
        const body = (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] }
        return (body.results[0]?.series ?? []).flatMap((s) => s.values.map((v) => String(v[0])))
      }
      for (const m of await influxql('SHOW MEASUREMENTS'))
        written.set(m, { fields: new Set(await influxql(`SHOW FIELD KEYS FROM "${m}"`)), tags: new Set(await influxql(`SHOW TAG KEYS FROM "${m}"`)) })
      expect([...written.keys()]).toEqual(expect.arrayContaining(['telemetry', 'state', 'alarm']))
    }
    const mapped = (m: string) => {
      const event = MAPPED_ONLY[m]
      const point = event && toPoint(event, 'gw-demo-01')
      return point ? { fields: new Set(Object.keys(point.fields ?? {})), tags: new Set(Object.keys(point.tags ?? {})) } : undefined
    }
    const problems: string[] = []
    for (const u of used) {
      const m = u.measurements[0]!
      const names = written.get(m) ?? mapped(m)
      if (!names) {
        problems.push(stack.influx ? `measurement ${m} was never written` : `measurement ${m} unchecked: no influxd here`)
        continue
      }
      for (const f of u.fields) if (!names.fields.has(f)) problems.push(`${m}: no field ${f}`)
      for (const t of u.tags) if (!names.tags.has(t)) problems.push(`${m}: no tag ${t}`)
      for (const s of u.selected) if (!names.fields.has(s) && !names.tags.has(s)) problems.push(`${m}: no field or tag ${s}`)
    }
    expect(problems).toEqual([])
    // The same lookup refuses names the sink never wrote.
    const telemetry = written.get('telemetry') ?? { fields: new Set(['temperature_c']), tags: new Set(['device']) }
    expect(telemetry.fields.has('temperature_c') && !telemetry.fields.has('made_up_field') && !telemetry.tags.has('made_up_tag')).toBe(true)
  })
})
