// A file download with the session's token (renewed once if it expired), its progress and
// outcome for a status line. Each feature names its "done" message and how it words errors.
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import type { DownloadRequest } from '../api/download.js'
import { useSessionStore } from '../stores/session.js'

export type DownloadAuth = Pick<DownloadRequest, 'token' | 'refresh'>

export function useDownload(doneKey: string, errorKeyOf: (err: unknown) => string) {
  const { t } = useI18n()
  const session = useSessionStore()
  const downloading = ref<string | null>(null)
  const message = ref('')
  const error = ref<string | null>(null)
  const auth = (): DownloadAuth => ({ token: session.token, refresh: async () => ((await session.refresh()) ? session.token : null) })

  async function download(which: string, fetchIt: (auth: DownloadAuth) => Promise<string>): Promise<void> {
    if (downloading.value) return
    downloading.value = which
    message.value = ''
    error.value = null
    try {
      const name = await fetchIt(auth())
      message.value = t(doneKey, { name })
    } catch (err) {
      error.value = errorKeyOf(err)
    } finally {
      downloading.value = null
    }
  }
  return { downloading, message, error, download }
}
