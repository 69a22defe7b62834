/**
 * Bare Aedes in its own process, the peer for Tendero's broker: no authentication, ACL,
 * validation or log, in-memory persistence, and the same listener as the gateway's
 * (`createServer(aedes.handle)`). Usage: node aedes-broker.mjs <port>. Plain JS so it runs like the
 * bundled gateway, without the tsx loader in its memory.
 */
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2])
const aedes = await Aedes.createBroker()
const server = createServer(aedes.handle)
server.listen(port, '127.0.0.1')

process.on('SIGTERM', () => {
  aedes.close(() => server.close(() => process.exit(0)))
})
