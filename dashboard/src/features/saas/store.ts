// The platform view's shared state: plans and organizations, which the subscriptions panel
// names things from, and `changed`, bumped when a subscription moves so MRR refetches.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { fetchOrganizations, fetchPlans, type Organization, type Plan } from '../../api/saas.js'
import { billingErrorKey } from '../billing/billing.js'

export const useSaasStore = defineStore('saas', () => {
  const plans = ref<Plan[]>([])
  const organizations = ref<Organization[]>([])
  const error = ref<string | null>(null)
  const changed = ref(0)

  const planName = computed(() => new Map(plans.value.map((p) => [p.id, p.name])))
  const orgName = computed(() => new Map(organizations.value.map((o) => [o.id, o.name])))

  async function load(): Promise<void> {
    error.value = null
    try {
      const [p, o] = await Promise.all([fetchPlans(), fetchOrganizations()])
      plans.value = p.items
      organizations.value = o.items
    } catch (err) {
      error.value = billingErrorKey(err)
    }
  }

  return { plans, organizations, error, changed, planName, orgName, load }
})
