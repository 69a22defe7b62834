// Billing's downloads (invoice PDFs, aging, MRR): the shared download state with its messages.
import { useDownload } from '../../composables/useDownload.js'
import { billingErrorKey } from './billing.js'

export const useFileDownload = () => useDownload('billing.downloads.done', billingErrorKey)
