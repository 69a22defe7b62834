import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

/**
 * The current time, refreshed every `intervalMs` while the component is mounted, so
 * "hace 3 min" keeps counting without a new push.
 */
export function useNow(intervalMs = 5_000): Readonly<Ref<number>> {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    now.value = Date.now()
    timer = setInterval(() => (now.value = Date.now()), intervalMs)
  })
  onBeforeUnmount(() => clearInterval(timer))
  return now
}
