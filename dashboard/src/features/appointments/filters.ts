// The agenda's status filter as the page's query says it (?estado=pendiente): Spanish words
// in the address bar, the cloud's states in the code.
import type { BookingStatus } from '../../api/appointments.js'

export const STATUS_SLUGS: Record<BookingStatus, string> = {
  pending: 'pendiente',
  confirmed: 'confirmado',
  completed: 'realizado',
  cancelled: 'cancelado',
  no_show: 'ausente',
}

export const AGENDA_STATUSES = Object.keys(STATUS_SLUGS) as BookingStatus[]

/** The state a query value names; '' (all) for anything else. */
export function statusFromQuery(value: unknown): BookingStatus | '' {
  const slug = Array.isArray(value) ? value[0] : value
  return AGENDA_STATUSES.find((s) => STATUS_SLUGS[s] === slug) ?? ''
}

/** The query value of a state; undefined (left out) for all. */
export const statusToQuery = (status: BookingStatus | ''): string | undefined => (status ? STATUS_SLUGS[status] : undefined)
