import { AppError } from '../../errors.js'

export const serviceNotFound = (): AppError => new AppError('APPT_SERVICE_NOT_FOUND', 404, 'Service not found')
export const professionalNotFound = (): AppError => new AppError('APPT_PROFESSIONAL_NOT_FOUND', 404, 'Professional not found')
export const bookingNotFound = (): AppError => new AppError('APPT_BOOKING_NOT_FOUND', 404, 'Booking not found')
export const exceptionNotFound = (): AppError => new AppError('APPT_EXCEPTION_NOT_FOUND', 404, 'Availability exception not found')
export const waitlistNotFound = (): AppError => new AppError('APPT_WAITLIST_NOT_FOUND', 404, 'Waiting-list entry not found')
export const bookingPageNotFound = (): AppError => new AppError('APPT_BOOKING_PAGE_NOT_FOUND', 404, 'Booking page not found')
export const userNotFound = (): AppError => new AppError('USER_NOT_FOUND', 404, 'User not found')
export const feedNotFound = (): AppError => new AppError('APPT_FEED_NOT_FOUND', 404, 'Calendar feed not found')
export const linkInvalid = (): AppError => new AppError('APPT_LINK_INVALID', 404, 'This link is not valid or has expired')

/** Of two bookings for one professional's overlapping time, the second gets this. */
export const slotTaken = (): AppError => new AppError('SLOT_TAKEN', 409, 'That time is no longer free for this professional')
export const slotUnavailable = (): AppError =>
  new AppError('SLOT_UNAVAILABLE', 422, 'The professional does not work at that time, or the service does not fit')
export const serviceNotOffered = (): AppError => new AppError('APPT_SERVICE_NOT_OFFERED', 422, 'The professional does not offer this service')
export const badTransition = (from: string, to: string): AppError =>
  new AppError('APPT_BAD_TRANSITION', 409, `A ${from} booking cannot become ${to}`)
export const badWindow = (detail: string): AppError => new AppError('VALIDATION', 400, detail)
export const badTimeZone = (): AppError => new AppError('VALIDATION', 400, 'timeZone: not a time zone this server knows')
export const slugTaken = (): AppError => new AppError('APPT_SLUG_TAKEN', 409, 'That booking page address is taken')
export const clientRequired = (): AppError => new AppError('VALIDATION', 400, 'Give contactId or a client with a name and an email or phone')
export const offerExpired = (): AppError => new AppError('APPT_OFFER_EXPIRED', 410, 'This offer has expired or was taken')
export const spamRefused = (): AppError => new AppError('APPT_REFUSED', 422, 'The booking could not be accepted')
export const bookingRateLimited = (retryAfterS: number): AppError =>
  new AppError('RATE_LIMITED', 429, 'Too many bookings from this address; wait and retry', { 'retry-after': String(retryAfterS) })
export const serviceInUse = (): AppError => new AppError('APPT_IN_USE', 409, 'It has upcoming bookings; cancel or move them first')
