/** The API speaks epoch milliseconds; the database stores timestamptz. */
export function toEpochMs(value: Date): number
export function toEpochMs(value: Date | null): number | null
export function toEpochMs(value: Date | null): number | null {
  return value === null ? null : value.getTime()
}
