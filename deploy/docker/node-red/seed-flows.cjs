'use strict'
// Writes Node-RED's flow file from Tendero's ready flows when there is none yet:
// every *.json array in TENDERO_FLOWS_DIR, concatenated, each node id kept once (flows
// share config nodes such as the gateway connection). An existing flow file is never
// touched: from the first deploy on it belongs to the technician.
//
//   TENDERO_FLOWS_DIR   folder of exported flows (default /usr/src/node-red/tendero-flows)
//   NODE_RED_DATA       Node-RED's user dir (default /data)
//   FLOWS               flow file name inside it, as the nodered image reads it (default flows.json)
const fs = require('node:fs')
const path = require('node:path')

function seedFlows(env) {
  const flowsDir = env.TENDERO_FLOWS_DIR || '/usr/src/node-red/tendero-flows'
  const target = path.join(env.NODE_RED_DATA || '/data', env.FLOWS || 'flows.json')
  if (fs.existsSync(target)) return { written: false, target, reason: 'exists' }
  const files = fs.existsSync(flowsDir) ? fs.readdirSync(flowsDir).filter((f) => f.endsWith('.json')).sort() : []
  if (files.length === 0) return { written: false, target, reason: `no flows in ${flowsDir}` }
  const seen = new Set()
  const merged = []
  for (const file of files) {
    let nodes
    try {
      nodes = JSON.parse(fs.readFileSync(path.join(flowsDir, file), 'utf8'))
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${err.message})`)
    }
    if (!Array.isArray(nodes)) throw new Error(`${file}: a flow export is a JSON array of nodes`)
    for (const node of nodes) {
      if (!node || typeof node.id !== 'string') throw new Error(`${file}: every node needs a string id`)
      if (seen.has(node.id)) continue
      seen.add(node.id)
      merged.push(node)
    }
  }
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = `${target}.tmp-${process.pid}`
  fs.writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`)
  fs.renameSync(tmp, target)
  return { written: true, target, files, nodes: merged.length }
}

module.exports = { seedFlows }

if (require.main === module) {
  try {
    const result = seedFlows(process.env)
    if (result.written) console.log(`tendero: wrote ${result.target} from ${result.files.join(', ')} (${result.nodes} nodes)`)
    else console.log(`tendero: flows not seeded (${result.reason}): ${result.target}`)
  } catch (err) {
    // A broken bundled flow must not keep Node-RED from starting; it starts with no flows.
    console.error(`tendero: flows not seeded: ${err.message}`)
  }
}
