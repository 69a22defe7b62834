import { describe, expect, it } from 'vitest'
import { testDrivers } from './drivers.js'

describe('testDrivers', () => {
  it('runs PGlite by default and PostgreSQL too when a server is configured', () => {
    expect(testDrivers({})).toEqual(['pglite'])
    expect(testDrivers({ TEST_DATABASE_URL: 'postgres://x/y' })).toEqual(['pglite', 'postgres'])
    expect(testDrivers({ TEST_DB_DRIVERS: 'postgres', TEST_DATABASE_URL: 'postgres://x/y' })).toEqual(['postgres'])
  })

  it('fails instead of skipping when postgres is asked for without a server', () => {
    expect(() => testDrivers({ TEST_DB_DRIVERS: 'postgres' })).toThrow(/TEST_DATABASE_URL/)
    expect(() => testDrivers({ TEST_DB_DRIVERS: 'mongo' })).toThrow(/unknown driver/)
  })
})
