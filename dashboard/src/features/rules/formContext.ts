import { inject, type InjectionKey, type Ref } from 'vue'

/** What every input of the rule form needs from the editor, without passing it down each level. */
export interface RuleFormContext {
  /** Messages by input id (problems.ts placeProblems). */
  problems: Readonly<Ref<ReadonlyMap<string, readonly string[]>>>
  /** JSON pointers of JSON texts that do not parse right now. */
  unparsedJson: Set<string>
  deviceIds: Readonly<Ref<readonly string[]>>
  readonly: Readonly<Ref<boolean>>
}

export const RULE_FORM: InjectionKey<RuleFormContext> = Symbol('rule-form')

export function useRuleForm(): RuleFormContext {
  const context = inject(RULE_FORM)
  if (!context) throw new Error('rule form inputs must be inside RuleEditor')
  return context
}
