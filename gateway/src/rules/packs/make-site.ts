/**
 * Starts a site config from rule packs, for a technician setting up a shop:
 *
 *   npx tsx gateway/src/rules/packs/make-site.ts --gateway gw-carniceria-01 carniceria-panaderia > site.json
 *
 * Prints the site config (devices with password hashes, every rule of the packs) on
 * stdout and one fresh password per device on stderr, to flash into each node. Then edit
 * site.json (setpoints, hours, capacities) and point GATEWAY_CONFIG at it.
 */
import { parseArgs } from 'node:util'
import { isGatewayError } from '../../errors.js'
import { loadPacks, packNames, provisionSite } from './index.js'

const USAGE = `usage: make-site.ts --gateway <gatewayId> [--timezone <IANA zone>] <pack>...\npacks: ${packNames().join(', ')}\n`

try {
  const { values, positionals } = parseArgs({
    options: { gateway: { type: 'string' }, timezone: { type: 'string' } },
    allowPositionals: true,
  })
  if (!values.gateway || positionals.length === 0) {
    process.stderr.write(USAGE)
    process.exit(2)
  }
  const { site, passwords } = await provisionSite({
    gatewayId: values.gateway,
    packs: loadPacks(positionals),
    ...(values.timezone ? { timezone: values.timezone } : {}),
  })
  process.stdout.write(`${JSON.stringify(site, null, 2)}\n`)
  process.stderr.write(`Device passwords (shown once; flash each into its node):\n`)
  for (const [id, pw] of Object.entries(passwords)) process.stderr.write(`  ${id.padEnd(24)} ${pw}\n`)
} catch (err) {
  if (!isGatewayError(err) && !(err instanceof TypeError)) throw err
  // parseArgs throws TypeError with a code for unknown options.
  process.stderr.write(`${(err as Error).message}\n${USAGE}`)
  process.exit(2)
}
