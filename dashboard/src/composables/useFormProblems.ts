import { computed, nextTick, ref, useId } from 'vue'

/** A refusal placed on a form: on a field when it names one, else on the whole form. */
export interface FormProblem<F extends string> {
  field?: F | undefined
  /** An i18n key. */
  key: string
  detail?: string | undefined
}

/**
 * The problem state of a form whose fields are checked in the browser first and then by
 * the cloud: problems and details per field, a form-wide error, the ids that tie a field
 * to its message (aria-describedby), and focus on the first field in trouble.
 * `order` lists the fields in the order they appear (it may depend on the draft).
 */
export function useFormProblems<F extends string>(order: () => readonly F[]) {
  const id = useId()
  const fid = (field: string) => `${id}-${field}`
  const problems = ref<Partial<Record<F, string>>>({})
  const details = ref<Partial<Record<F, string>>>({})
  const formError = ref<string | null>(null)
  const formDetail = ref<string | undefined>()
  const hasProblems = computed(() => Object.keys(problems.value).length > 0)

  function describedBy(field: F, hint = false): string | undefined {
    return [problems.value[field] ? `${fid(field)}-problem` : '', hint ? `${fid(field)}-hint` : ''].filter(Boolean).join(' ') || undefined
  }

  async function focusFirstProblem(): Promise<void> {
    await nextTick()
    const first = order().find((k) => problems.value[k])
    if (!first) return
    // A group (a fieldset of checkboxes) carries the id; its first input takes the focus.
    const el = document.getElementById(fid(first)) ?? document.querySelector<HTMLElement>(`#${CSS.escape(fid(first))} input`)
    el?.focus()
  }

  /** Before a new attempt: the browser's own check of the draft replaces every problem. */
  function startOver(checked: Partial<Record<F, string>>): void {
    formError.value = null
    formDetail.value = undefined
    details.value = {}
    problems.value = checked
  }

  /** The cloud's refusal, on its field (focused) or on the form. */
  async function refused(problem: FormProblem<F>): Promise<void> {
    if (problem.field) {
      problems.value = { [problem.field]: problem.key } as Partial<Record<F, string>>
      if (problem.detail) details.value = { [problem.field]: problem.detail } as Partial<Record<F, string>>
      await focusFirstProblem()
    } else {
      formError.value = problem.key
      formDetail.value = problem.detail
    }
  }

  return { id, fid, problems, details, formError, formDetail, hasProblems, describedBy, focusFirstProblem, startOver, refused }
}
