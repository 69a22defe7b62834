/**
 * PostgreSQL array literals for ingest's one-parameter-per-column inserts. The drivers
 * build them generically (node-postgres: a type test and two regex replaces per element,
 * which cost the cloud more per batch than the rest of the insert); ingest sends thousands
 * of elements per batch, most of them repeats (device ids, metric names, boot ids). Both
 * drivers pass a string parameter through as it is, whatever its SQL type.
 */

/** Finite numbers only (JSON cannot carry others); integers below 2^53 print as plain digits, as int8 wants. */
export const numberArrayLiteral = (values: readonly number[]): string => `{${values.join(',')}}`

export const booleanArrayLiteral = (values: readonly boolean[]): string => `{${values.map((b) => (b ? 't' : 'f')).join(',')}}`

export const nullableNumberArrayLiteral = (values: readonly (number | null)[]): string =>
  `{${values.map((v) => (v === null ? 'NULL' : v)).join(',')}}`

/**
 * Every element quoted, so none reads as NULL or splits on a comma or brace; inside quotes
 * only `"` and `\` need a backslash. Each distinct value is quoted once.
 */
export function textArrayLiteral(values: readonly string[]): string {
  const quoted = new Map<string, string>()
  const elements = values.map((value) => {
    let element = quoted.get(value)
    if (element === undefined) {
      element = `"${value.replace(/["\\]/g, '\\$&')}"`
      quoted.set(value, element)
    }
    return element
  })
  return `{${elements.join(',')}}`
}
