// Leasing's report downloads (occupancy, rent income): the shared download state with its messages.
import { useDownload } from '../../composables/useDownload.js'
import { leasingErrorKey } from './leasing.js'

export const useReportDownload = () => useDownload('leasing.downloads.done', leasingErrorKey)
