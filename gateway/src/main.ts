/**
 * Process entry: load config, build, start, stop gracefully. Everything that can be
 * tested lives in gateway.ts; this file only translates failures into exit codes.
 */
import { pino } from 'pino'
import { loadConfig, type GatewayConfig } from './config.js'
import { isGatewayError } from './errors.js'
import { buildGateway, type Gateway } from './gateway.js'
import { provisionGateway } from './provision/index.js'

let config: GatewayConfig
try {
  config = loadConfig()
} catch (err) {
  if (!isGatewayError(err)) throw err
  process.stderr.write(`${err.message}\n`)
  process.exit(1)
}

// GATEWAY_CLAIM_CODE on first boot: claim an id and key from the cloud before anything
// runs under an identity (src/provision/). Later boots find them in the data directory.
if (config.cloud.claim) {
  try {
    config = await provisionGateway(config, { logger: pino({ level: config.logLevel, base: { component: 'provision' } }) })
  } catch (err) {
    if (!isGatewayError(err)) throw err
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
}

let gateway: Gateway
try {
  // deviceLinks: fail-safe states on connect, online/offline events (src/failsafe/).
  gateway = buildGateway(config, { deviceLinks: true })
} catch (err) {
  // E.g. a rules file saved through the local API that no longer fits the site config.
  if (!isGatewayError(err)) throw err
  process.stderr.write(`${err.message}\n`)
  process.exit(1)
}
try {
  await gateway.start()
} catch (err) {
  // One line naming the variable to change, never a stack trace (ARCHITECTURE.md).
  if (isGatewayError(err, 'GATEWAY_ERR_PORT_IN_USE')) process.stderr.write(`${err.message}\n`)
  else gateway.logger.fatal({ err }, 'gateway failed to start')
  process.exit(1)
}

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    gateway.logger.info({ signal }, 'stopping')
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.logger.error({ err }, 'unclean stop')
        process.exit(1)
      },
    )
  })
}
