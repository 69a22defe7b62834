/**
 * Start both simulated Modbus devices:
 *   tsx simulator/src/modbus/serve.ts [--cold-room-port 1502] [--meter-port 1503] [--speed 60] [--host 127.0.0.1]
 * Port 0 picks a free port; the bound ports are printed as one JSON line.
 */
import { parseArgs } from 'node:util'
import { ColdRoomController } from './cold-room-controller.js'
import { EnergyMeter } from './energy-meter.js'
import { ModbusTcpServer } from './tcp-server.js'

export async function serveModbusDevices(opts: { coldRoomPort: number; meterPort: number; speed: number; host: string }) {
  const coldRoom = new ModbusTcpServer(new ColdRoomController({ speed: opts.speed }))
  const meter = new ModbusTcpServer(new EnergyMeter({ speed: opts.speed }))
  const coldRoomPort = await coldRoom.listen(opts.coldRoomPort, opts.host)
  const meterPort = await meter.listen(opts.meterPort, opts.host)
  return {
    coldRoom,
    meter,
    ports: { coldRoom: coldRoomPort, meter: meterPort },
    close: () => Promise.all([coldRoom.close(), meter.close()]).then(() => undefined),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      'cold-room-port': { type: 'string', default: '1502' },
      'meter-port': { type: 'string', default: '1503' },
      speed: { type: 'string', default: '1' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  })
  const running = await serveModbusDevices({
    coldRoomPort: Number(values['cold-room-port']),
    meterPort: Number(values['meter-port']),
    speed: Number(values.speed),
    host: values.host!,
  })
  console.log(JSON.stringify({ modbus: running.ports, speed: Number(values.speed) }))
  const stop = () => void running.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
