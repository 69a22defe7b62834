// The organization's audit trail (cloud identity module): GET /api/audit, GET /api/audit/export.
import { apiRequest } from './client.js'
import { downloadFile, type DownloadRequest } from './download.js'
import type { Page } from './sites.js'

export interface AuditEntry {
  id: number
  at: number
  /** `user`, `api_key`, `system`… */
  actorType: string
  actorId: string | null
  /** `user.create`, `apikey.revoke`, `org.security.update`… */
  action: string
  targetType: string | null
  targetId: string | null
  before: unknown
  after: unknown
  requestId: string | null
  ip: string | null
}

export interface AuditFilters {
  /** An exact action, or a prefix ending in "." (`user.`). */
  action?: string
  actorId?: string
  targetType?: string
  targetId?: string
  /** Epoch ms, inclusive. */
  from?: number
  /** Epoch ms, exclusive. */
  to?: number
}

const clean = (filters: AuditFilters) => ({
  action: filters.action || undefined,
  actorId: filters.actorId || undefined,
  targetType: filters.targetType || undefined,
  targetId: filters.targetId || undefined,
  from: filters.from,
  to: filters.to,
})

/** One page, newest first. */
export function fetchAudit(filters: AuditFilters, cursor?: string | null, limit = 50): Promise<Page<AuditEntry>> {
  return apiRequest<Page<AuditEntry>>('/api/audit', { query: { ...clean(filters), limit, cursor } })
}

/** The filtered trail as CSV, oldest first, saved by the browser; resolves with the file name. */
export function downloadAudit(filters: AuditFilters, auth: Pick<DownloadRequest, 'token' | 'refresh'>): Promise<string> {
  return downloadFile({ ...auth, path: '/api/audit/export', query: clean(filters), fallbackName: 'auditoria.csv' })
}
