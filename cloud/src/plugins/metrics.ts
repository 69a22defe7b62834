import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { sql } from 'kysely'
import { validators } from '@tendero/protocol'
import { unauthorized } from '../errors.js'

export const CLOUD_METRIC_PREFIX = 'tendero_cloud_'

export interface MetricsOptions {
  /** METRICS_TOKEN: Prometheus must send it as a bearer token; unset, /metrics is open. */
  token?: string | undefined
  /** The longest a scrape waits for the database's counts before reporting it down (ms). */
  dbTimeoutMs?: number
}

/**
 * Process metrics describe the process, and prom-client's collector installs observers it
 * never removes: one registry for them per process, shared by every app it builds (tests
 * build many), made on the first scrape.
 */
let processRegistry: Registry | undefined
function processMetrics(): Promise<string> {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, prefix: CLOUD_METRIC_PREFIX })
  }
  return processRegistry.metrics()
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/** The pending work of the outboxes, in one round trip; each count rides a partial index. */
async function pendingCounts(db: FastifyRequest['server']['db']) {
  const { rows } = await sql<{ outbox: number | string; deliveries: number | string; mail: number | string }>`
    select
      (select count(*) from notification_outbox where fanned_out_at is null) as outbox,
      (select count(*) from notification_deliveries where status = 'pending') as deliveries,
      (select count(*) from mail_outbox where status = 'pending') as mail`.execute(db)
  const row = rows[0]
  return { outbox: Number(row?.outbox ?? 0), deliveries: Number(row?.deliveries ?? 0), mail: Number(row?.mail ?? 0) }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/**
 * GET /metrics in the Prometheus text format, from a registry of this app's own. Labels
 * never carry a tenant, user, gateway or raw URL: routes are Fastify's templates, and
 * everything else is a fixed set (methods, status classes, job names, outcomes).
 *
 * Outside /api on purpose: not in the route catalog, the permission table or the rate
 * limits (plugins/rate-limit.ts charges /api only); it authenticates itself.
 */
export default fp<MetricsOptions>(
  async (app, opts) => {
    const registry = new Registry()
    const registers = [registry]
    const p = CLOUD_METRIC_PREFIX
    const dbTimeoutMs = opts.dbTimeoutMs ?? 1000

    const httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP requests by method, route template and status class',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    const ingestBatches = new Counter({ name: `${p}ingest_batches_total`, help: 'Uplink batches stored (answered 200)', registers })
    const ingestEvents = new Counter({
      name: `${p}ingest_events_total`,
      help: 'Events of stored batches, by outcome: stored, duplicate (already held) or quarantined',
      labelNames: ['outcome'],
      registers,
    })
    for (const outcome of ['stored', 'duplicate', 'quarantined']) ingestEvents.inc({ outcome }, 0)

    new Gauge({
      name: `${p}realtime_sockets`,
      help: 'Socket.IO connections open on this instance',
      registers,
      collect() {
        this.set(app.hasDecorator('io') ? app.io.of('/').sockets.size : 0)
      },
    })
    new Counter({
      name: `${p}job_runs_total`,
      help: 'Runs of the periodic jobs since start, by job',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset()
        if (app.hasDecorator('jobs')) for (const j of app.jobs.list()) this.inc({ job: j.name }, j.runs)
      },
    })
    new Counter({
      name: `${p}job_failures_total`,
      help: 'Failed runs of the periodic jobs since start, by job',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset()
        if (app.hasDecorator('jobs')) for (const j of app.jobs.list()) this.inc({ job: j.name }, j.failures)
      },
    })

    // The database's counts: one guarded query per scrape. A database that is down or slow
    // turns db_up to 0 and leaves the pending gauges out, and the scrape still answers.
    const dbUp = new Gauge({ name: `${p}db_up`, help: '1 when the database answered this scrape within the timeout', registers })
    const pending = new Gauge({
      name: `${p}outbox_pending`,
      help: 'Work waiting in the outboxes: notification (not fanned out yet), delivery (not delivered yet), mail (not sent yet)',
      labelNames: ['outbox'],
      registers,
    })
    const readDatabase = async () => {
      pending.reset()
      try {
        const counts = await withTimeout(pendingCounts(app.db), dbTimeoutMs)
        pending.set({ outbox: 'notification' }, counts.outbox)
        pending.set({ outbox: 'delivery' }, counts.deliveries)
        pending.set({ outbox: 'mail' }, counts.mail)
        dbUp.set(1)
      } catch (err) {
        app.log.warn({ err }, 'metrics: database counts unavailable')
        dbUp.set(0)
      }
    }

    app.addHook('onResponse', async (request, reply) => {
      // Unmatched requests (404s, scanners) share one label: raw URLs would be unbounded.
      const route = request.routeOptions.url ?? 'unmatched'
      httpDuration.observe({ method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000)
    })
    // The ack is the route's own answer (ingest/routes.ts): read, not recomputed.
    app.addHook('preSerialization', async (request, reply, payload) => {
      if (request.routeOptions.url !== '/api/ingest' || reply.statusCode !== 200 || !validators.uplinkAck.check(payload)) return payload
      ingestBatches.inc()
      ingestEvents.inc({ outcome: 'stored' }, payload.stored)
      ingestEvents.inc({ outcome: 'duplicate' }, payload.duplicates)
      ingestEvents.inc({ outcome: 'quarantined' }, payload.quarantined.length)
      return payload
    })

    const expected = opts.token ? sha256(opts.token) : undefined
    if (!expected) app.log.info('metrics: METRICS_TOKEN is not set, GET /metrics is open')
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (expected) {
        const presented = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1]
        if (!presented || !timingSafeEqual(sha256(presented), expected)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"')
          throw unauthorized()
        }
      }
      await readDatabase()
      const [own, processText] = await Promise.all([registry.metrics(), processMetrics()])
      return reply.type(registry.contentType).send(`${own}\n${processText}`)
    })
  },
  { name: 'metrics', dependencies: ['db'] },
)
