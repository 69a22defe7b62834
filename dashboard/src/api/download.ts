// Files the cloud sends as attachments (reports, the audit export). A plain <a href> would
// not carry the session's Bearer token, so the file is fetched with it, held as a blob and
// handed to the browser through a temporary object URL and an <a download>.
import { ApiError, CLIENT_ERROR_CODES, type QueryValue } from './client.js'

export interface DownloadRequest {
  path: string
  query?: Record<string, QueryValue>
  /** The session's access token. */
  token: string | null
  /**
   * A new access token after a 401 (the session store's refresh), as apiRequest does for
   * JSON; null when the session cannot go on.
   */
  refresh?: () => Promise<string | null>
  /** Used when the answer names no file. */
  fallbackName: string
  signal?: AbortSignal
}

export interface DownloadedFile {
  blob: Blob
  filename: string
}

export function withQuery(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

/** The file name of a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim())
    } catch {
      // A malformed escape: fall back to the plain name.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(header)
  const name = (plain?.[1] ?? plain?.[2])?.trim()
  // Only the last path segment: a name is never a place to write to.
  return name ? (name.split(/[\\/]/).pop() ?? null) : null
}

/** GETs a file with the token; a refused request throws the cloud's coded ApiError. */
export async function fetchFile(request: DownloadRequest, retried = false): Promise<DownloadedFile> {
  const headers: Record<string, string> = {}
  if (request.token) headers.authorization = `Bearer ${request.token}`
  let response: Response
  try {
    response = await fetch(withQuery(request.path, request.query), { headers, signal: request.signal })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, CLIENT_ERROR_CODES.network, err instanceof Error ? err.message : String(err))
  }
  if (response.status === 401 && request.token && request.refresh && !retried) {
    const token = await request.refresh()
    if (token) return fetchFile({ ...request, token }, true)
  }
  if (!response.ok) {
    let code = `HTTP_${response.status}`
    let message = response.statusText || code
    try {
      const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } }
      if (typeof body.error?.code === 'string') code = body.error.code
      if (typeof body.error?.message === 'string') message = body.error.message
    } catch {
      // Not JSON: keep the status.
    }
    throw new ApiError(response.status, code, message)
  }
  const blob = await response.blob()
  return { blob, filename: filenameFromDisposition(response.headers.get('content-disposition')) ?? request.fallbackName }
}

/** Hands a blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob)
  const link = doc.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  link.style.display = 'none'
  doc.body.appendChild(link)
  link.click()
  link.remove()
  // Revoked after the click has been handled: some browsers read the URL asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Fetches with the token and saves; resolves with the saved file's name. */
export async function downloadFile(request: DownloadRequest): Promise<string> {
  const file = await fetchFile(request)
  saveBlob(file.blob, file.filename)
  return file.filename
}
