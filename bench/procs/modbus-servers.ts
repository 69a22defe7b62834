/**
 * `count` simulated cold-room controllers (simulator/src/modbus), each a Modbus TCP server
 * on its own ephemeral port, in a process of their own so the devices do not share the
 * measuring process's event loop. Says `ready` with the ports; exits on `stop`.
 */
import { ColdRoomController, ModbusTcpServer } from '../../simulator/src/modbus/index.js'

export interface ModbusServersInput {
  count: number
}
export interface ModbusServersReady {
  type: 'ready'
  ports: number[]
  requests?: number
}

const input = JSON.parse(process.argv[2]!) as ModbusServersInput
const servers: ModbusTcpServer[] = []
for (let i = 0; i < input.count; i++) {
  const server = new ModbusTcpServer(new ColdRoomController({ setpointC: 2 + (i % 5) }))
  await server.listen(0)
  servers.push(server)
}
process.send!({ type: 'ready', ports: servers.map((s) => s.port) } satisfies ModbusServersReady)
process.on('message', async (m: { type: string }) => {
  if (m.type === 'requests') process.send!({ type: 'requests', requests: servers.reduce((n, s) => n + s.requests, 0) })
  if (m.type !== 'stop') return
  await Promise.all(servers.map((s) => s.close()))
  process.exit(0)
})
