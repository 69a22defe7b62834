import fp from 'fastify-plugin'
import { sql } from 'kysely'

/**
 * Periodic work of the commercial modules (issue 8): the rent schedule, metered
 * utilities, dunning, lease expiry and appointment reminders, the mail queue. A module
 * registers a job with `app.jobs.register(name, everyMs, run)`; the plugin runs each one
 * on its interval once the app is ready, never two runs of a job at once in this process,
 * and under a PostgreSQL advisory lock so that of several cloud instances one runs it.
 * Every job is idempotent anyway (the rent job has a unique constraint, mail a dedup key):
 * the lock only saves work. `JOBS=off` (config.jobs false) registers them without timers,
 * which is what the tests do: they call `app.jobs.run(name, now)` at the moments they choose.
 */
export interface JobContext {
  now: Date
}

export type JobFn = (ctx: JobContext) => Promise<unknown>

interface Job {
  name: string
  everyMs: number
  run: JobFn
  timer?: NodeJS.Timeout
  running?: Promise<unknown>
  lastRunAt?: Date
  lastError?: string
  /** Runs and failed runs since start, for the metrics (plugins/metrics.ts). */
  runs: number
  failures: number
}

export interface Jobs {
  register(name: string, everyMs: number, run: JobFn): void
  /** Runs a job now (or at a given `now`) and returns what it returned. */
  run(name: string, now?: Date): Promise<unknown>
  list(): { name: string; everyMs: number; lastRunAt: string | null; lastError: string | null; runs: number; failures: number }[]
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs
  }
}

export default fp<{ enabled: boolean; lock: boolean }>(
  async (app, opts) => {
    const jobs = new Map<string, Job>()
    let closed = false

    const runLocked = async (job: Job, now: Date): Promise<unknown> => {
      // PGlite is one process and one connection: nothing else could run the job, and
      // holding its only connection for the lock would block the job's own queries.
      if (!opts.lock) return job.run({ now })
      // A session advisory lock keyed by the job's name, on a connection held for the run.
      return app.db.connection().execute(async (conn) => {
        const key = `tendero-job:${job.name}`
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(${key})) as locked`.execute(conn)
        if (!rows[0]?.locked) return undefined
        try {
          return await job.run({ now })
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn)
        }
      })
    }

    const runOnce = async (job: Job, now = new Date()): Promise<unknown> => {
      while (job.running) await job.running.catch(() => {})
      const running = runLocked(job, now)
      job.running = running
      try {
        const result = await running
        job.lastRunAt = now
        job.lastError = undefined
        return result
      } catch (err) {
        job.failures += 1
        job.lastError = (err as Error).message
        throw err
      } finally {
        job.runs += 1
        job.running = undefined
      }
    }

    const schedule = (job: Job) => {
      if (!opts.enabled || closed) return
      job.timer = setTimeout(() => {
        runOnce(job)
          .catch((err: unknown) => app.log.error({ err, job: job.name }, 'job failed'))
          .finally(() => schedule(job))
      }, job.everyMs)
      job.timer.unref()
    }

    let ready = false
    app.decorate('jobs', {
      register(name, everyMs, run) {
        if (jobs.has(name)) throw new Error(`job ${name} is registered twice`)
        const job: Job = { name, everyMs, run, runs: 0, failures: 0 }
        jobs.set(name, job)
        if (ready) schedule(job)
      },
      async run(name, now) {
        const job = jobs.get(name)
        if (!job) throw new Error(`no job named ${name}`)
        return runOnce(job, now)
      },
      list: () =>
        [...jobs.values()].map((j) => ({ name: j.name, everyMs: j.everyMs, lastRunAt: j.lastRunAt?.toISOString() ?? null, lastError: j.lastError ?? null, runs: j.runs, failures: j.failures })),
    } satisfies Jobs)

    app.addHook('onReady', async () => {
      ready = true
      for (const job of jobs.values()) schedule(job)
    })
    app.addHook('onClose', async () => {
      closed = true
      for (const job of jobs.values()) {
        clearTimeout(job.timer)
        await job.running?.catch(() => {})
      }
    })
  },
  { name: 'jobs', dependencies: ['db'] },
)
