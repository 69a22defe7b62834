// The pipeline: its stages in order, the open deals under them, and the deals closed while
// the view was open. Moves and closes replace the deal with the cloud's answer.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { closeDeal, createDeal, fetchDeals, fetchStages, moveDeal, type Deal, type NewDeal, type Stage } from '../../api/crm.js'
import { crmErrorKey, groupByStage, upsertById } from './crm.js'

const DEALS_PAGE = 100

export const useCrmPipelineStore = defineStore('crm-pipeline', () => {
  const stages = ref<Stage[]>([])
  const deals = ref<Deal[]>([])
  const nextCursor = ref<string | null>(null)
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const error = ref<string | null>(null)
  const busyIds = ref<ReadonlySet<string>>(new Set())

  const columns = computed(() => groupByStage(stages.value, deals.value))
  const closed = computed(() => deals.value.filter((d) => d.status !== 'open'))
  const stageName = (id: string): string => stages.value.find((s) => s.id === id)?.name ?? ''

  async function load(): Promise<void> {
    status.value = 'loading'
    error.value = null
    try {
      const [stagePage, dealPage] = await Promise.all([fetchStages(), fetchDeals({ status: 'open' }, null, DEALS_PAGE)])
      stages.value = stagePage.items
      deals.value = dealPage.items
      nextCursor.value = dealPage.nextCursor
      status.value = 'ready'
    } catch (err) {
      error.value = crmErrorKey(err)
      status.value = 'error'
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value) return
    try {
      const page = await fetchDeals({ status: 'open' }, nextCursor.value, DEALS_PAGE)
      const seen = new Set(deals.value.map((d) => d.id))
      deals.value = [...deals.value, ...page.items.filter((d) => !seen.has(d.id))]
      nextCursor.value = page.nextCursor
    } catch (err) {
      error.value = crmErrorKey(err)
    }
  }

  /** Runs one change of a deal, keeping it marked busy meanwhile; throws the cloud's error. */
  async function change(id: string, run: () => Promise<Deal>): Promise<Deal> {
    busyIds.value = new Set(busyIds.value).add(id)
    try {
      const deal = await run()
      deals.value = upsertById(deals.value, deal)
      return deal
    } finally {
      const next = new Set(busyIds.value)
      next.delete(id)
      busyIds.value = next
    }
  }

  const move = (id: string, stageId: string) => change(id, () => moveDeal(id, stageId))
  const close = (id: string, outcome: 'won' | 'lost', reason?: string) => change(id, () => closeDeal(id, outcome, reason))

  async function create(deal: NewDeal, idempotencyKey: string): Promise<Deal> {
    const created = await createDeal(deal, idempotencyKey)
    deals.value = upsertById(deals.value, created)
    return created
  }

  return { stages, deals, nextCursor, status, error, busyIds, columns, closed, stageName, load, loadMore, move, close, create }
})
