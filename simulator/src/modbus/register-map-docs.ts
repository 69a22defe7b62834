import { registerCount, tableFunctions, type RegisterEntry, type RegisterMap } from './register-maps.js'

const tableOrder = ['input', 'holding', 'coil', 'discrete'] as const

/**
 * The README table of a register map, generated from the data so the two cannot drift;
 * a test checks the README still contains exactly this text.
 */
export function registerMapTable(map: RegisterMap): string {
  const rows = [
    '| address | function | type | word order | scale | unit | name | description |',
    '|---|---|---|---|---|---|---|---|',
  ]
  const sorted = [...map.entries].sort((a, b) => tableOrder.indexOf(a.table) - tableOrder.indexOf(b.table) || a.address - b.address)
  for (const e of sorted) {
    rows.push(
      `| ${address(e)} | ${e.table} (${tableFunctions[e.table]}) | ${e.type} | ${wordOrder(e)} | ${e.type === 'bool' ? '' : e.scale} | ${e.unit} | \`${e.name}\`${e.writable ? ' (rw)' : ''} | ${e.description}${range(e)} |`,
    )
  }
  return rows.join('\n')
}

function address(e: RegisterEntry): string {
  const n = registerCount(e.type)
  return n === 1 ? String(e.address) : `${e.address}–${e.address + n - 1}`
}

function wordOrder(e: RegisterEntry): string {
  if (registerCount(e.type) === 1) return ''
  return e.wordOrder === 'big' ? 'big (ABCD)' : 'little (CDAB)'
}

function range(e: RegisterEntry): string {
  return e.writeRange ? `; writes ${e.writeRange[0]}…${e.writeRange[1]} ${e.unit}`.trimEnd() : ''
}
