import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from './client.js'
import { downloadFile, fetchFile, filenameFromDisposition, withQuery } from './download.js'
import { downloadColdChainReport } from './reports.js'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('download helper', () => {
  it('reads the name from Content-Disposition, preferring filename*, and keeps only the last segment', () => {
    expect(filenameFromDisposition('attachment; filename="cadena-frio-palermo-2026-11-20.pdf"')).toBe('cadena-frio-palermo-2026-11-20.pdf')
    expect(filenameFromDisposition("attachment; filename=x.csv; filename*=UTF-8''c%C3%A1mara.csv")).toBe('cámara.csv')
    expect(filenameFromDisposition('attachment; filename=../../etc/passwd')).toBe('passwd')
    expect(filenameFromDisposition(null)).toBeNull()
    expect(withQuery('/a', { x: 1, y: undefined, z: '', w: 'b c' })).toBe('/a?x=1&w=b+c')
  })

  it('sends the token, and saves the blob through an object URL and a download link', async () => {
    const fetchMock = vi.fn(async () => new Response('%PDF-1.7 data', { status: 200, headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="r.pdf"' } }))
    vi.stubGlobal('fetch', fetchMock)
    const created = vi.fn(() => 'blob:test/1')
    const revoked = vi.fn()
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: revoked }))
    const clicks: { href: string; download: string }[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push({ href: this.href, download: this.download })
    })

    const name = await downloadColdChainReport('site 1', { date: '2026-11-20', deviceId: 'camara-1', format: 'pdf', lang: 'en' }, { token: 'tok' })
    expect(name).toBe('r.pdf')
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/sites/site%201/reports/cold-chain?date=2026-11-20&deviceId=camara-1&format=pdf&lang=en')
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok')
    expect(created).toHaveBeenCalledOnce()
    expect(clicks).toEqual([{ href: 'blob:test/1', download: 'r.pdf' }])
    // The link is gone from the page after the click.
    expect(document.querySelectorAll('a[download]')).toHaveLength(0)
  })

  it('falls back to the given name, and throws the cloud’s coded error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('a,b\r\n', { status: 200 })))
    const file = await fetchFile({ path: '/api/audit/export', token: 't', fallbackName: 'auditoria.csv' })
    expect(file.filename).toBe('auditoria.csv')
    expect(await file.blob.text()).toBe('a,b\r\n')

    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ error: { code: 'REPORT_BAD_DATE', message: 'bad' } }, { status: 400 })))
    const err = await downloadFile({ path: '/x', token: 't', fallbackName: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('REPORT_BAD_DATE')
    expect((err as ApiError).status).toBe(400)
  })
})

describe('download with an expired token', () => {
  it('asks for a new token once on 401 and tries again with it', async () => {
    const seen: string[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init: RequestInit) => {
        const auth = (init.headers as Record<string, string>).authorization!
        seen.push(auth)
        return auth === 'Bearer new' ? new Response('ok', { status: 200 }) : Response.json({ error: { code: 'AUTH_TOKEN_EXPIRED', message: 'x' } }, { status: 401 })
      }),
    )
    const refresh = vi.fn(async () => 'new')
    const file = await fetchFile({ path: '/f', token: 'old', refresh, fallbackName: 'f' })
    expect(await file.blob.text()).toBe('ok')
    expect(seen).toEqual(['Bearer old', 'Bearer new'])

    const failing = vi.fn(async () => null)
    const err = await fetchFile({ path: '/f', token: 'old', refresh: failing, fallbackName: 'f' }).catch((e: unknown) => e)
    expect((err as ApiError).status).toBe(401)
    expect(failing).toHaveBeenCalledOnce()
  })
})
