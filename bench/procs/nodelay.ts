/**
 * Preload (`--import`) that turns Nagle's algorithm off on every socket a TCP server in
 * this process accepts. relay-latency uses it to show what TCP_NODELAY on the broker's
 * listener changes without touching the gateway's code: with Nagle on, a command written
 * right after a PUBACK waits for the device's delayed ACK (tens of ms on Linux).
 */
import net from 'node:net'
import { syncBuiltinESMExports } from 'node:module'

const createServer = net.createServer
net.createServer = ((...args: Parameters<typeof net.createServer>) => {
  const server = createServer(...args)
  server.on('connection', (socket: net.Socket) => socket.setNoDelay(true))
  return server
}) as typeof net.createServer
// Named imports (`import { createServer } from 'node:net'`) see the patch only after this.
syncBuiltinESMExports()
