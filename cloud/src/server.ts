import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type CloudConfig } from './config.js'

/** Entry point: load config, build, listen, close gracefully. Nothing else lives here. */

function fail(message: string): never {
  process.stderr.write(message + '\n')
  process.exit(1)
}

let config: CloudConfig
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) fail(err.message)
  throw err
}

const app: FastifyInstance = await buildApp(config)

try {
  await app.listen({ port: config.port, host: config.host })
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    await app.close().catch(() => {})
    fail(`Port ${config.port} is already in use. Set CLOUD_PORT to a free port.`)
  }
  throw err
}

const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : config.port
const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
process.stdout.write(`Tendero cloud listening on http://${shownHost}:${port} (API docs at /docs)\n`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal means "now": skip the graceful path.
    if (closing) process.exit(1)
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while shutting down')
        process.exit(1)
      },
    )
  })
}
