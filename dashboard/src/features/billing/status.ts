import type { BadgeTone } from '../../components/BaseBadge.vue'
import type { InvoiceStatus } from '../../api/billing.js'

/** Badge colour per invoice status; the status is always also written out. */
export const STATUS_TONE: Record<InvoiceStatus, BadgeTone> = { draft: 'neutral', posted: 'info', void: 'warning' }
