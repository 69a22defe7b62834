import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'

describe('dashboard and docs serving', () => {
  let dir: string
  let t: TestApp

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tendero-dash-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Tendero</title>')
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {})')
    writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Tendero"}')
    mkdirSync(join(dir, 'icons'))
    writeFileSync(join(dir, 'icons', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    t = await buildTestApp('pglite', { dashboardDir: dir, seedDemo: false })
    // PGlite's start takes seconds on a busy machine.
  }, 60_000)

  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the built files and falls back to index.html for client routes', async () => {
    expect((await t.app.inject({ url: '/' })).body).toContain('<title>Tendero</title>')
    expect((await t.app.inject({ url: '/assets/app.js' })).body).toBe('console.log(1)')
    const deep = await t.app.inject({ url: '/sites/00000000-0000-4000-8000-000000000011' })
    expect(deep.statusCode).toBe(200)
    expect(deep.headers['content-type']).toMatch(/text\/html/)
  })

  it('serves the PWA files with their types, and makes browsers revalidate what keeps its name', async () => {
    const expectations = [
      // The service worker and the shell must never be stale: a new release is found by asking.
      { url: '/sw.js', type: /^(application|text)\/javascript/, cache: 'no-cache' },
      { url: '/', type: /^text\/html/, cache: 'no-cache' },
      { url: '/index.html', type: /^text\/html/, cache: 'no-cache' },
      { url: '/alarmas', type: /^text\/html/, cache: 'no-cache' },
      { url: '/manifest.webmanifest', type: /^application\/manifest\+json/, cache: 'no-cache' },
      { url: '/icons/icon.svg', type: /^image\/svg\+xml/, cache: 'no-cache' },
      // Hashed names change with their content: kept for a year.
      { url: '/assets/app.js', type: /^(application|text)\/javascript/, cache: 'public, max-age=31536000, immutable' },
    ]
    for (const { url, type, cache } of expectations) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type'], url).toMatch(type)
      expect(res.headers['cache-control'], url).toBe(cache)
    }
    // Revalidation is cheap: an unchanged worker is a 304.
    const sw = await t.app.inject({ url: '/sw.js' })
    const again = await t.app.inject({ url: '/sw.js', headers: { 'if-none-match': String(sw.headers.etag) } })
    expect(again.statusCode).toBe(304)
  })

  it('keeps API and asset misses as JSON 404s', async () => {
    for (const url of ['/api/nope', '/assets/missing.js']) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json().error.code).toBe('NOT_FOUND')
    }
  })

  it('serves Swagger UI at /docs and the OpenAPI document at /docs/json', async () => {
    expect((await t.app.inject({ url: '/docs' })).statusCode).toBe(200)
    const doc = (await t.app.inject({ url: '/docs/json' })).json()
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/ingest', '/api/health', '/api/auth/login']))
  })
})
