import Type from 'typebox'

const EpochMs = Type.Integer({ minimum: 0 })
const GatewayId = Type.String({ maxLength: 64 })

export const GatewayParams = Type.Object({ id: GatewayId })
export const RuleParams = Type.Object({ id: GatewayId, ruleId: Type.String({ maxLength: 64 }) })

/**
 * A rule as the gateway's site config holds it (RuleEnvelope in @tendero/gateway/rules).
 * Loose here on purpose: the rules service checks it and answers RULE_INVALID with one
 * entry per field, which a form can show where it belongs; a schema error would not.
 */
export const RuleBody = Type.Object({}, { additionalProperties: true, description: 'A rule; see GET /api/rules/kinds' })

export const FieldProblem = Type.Object({
  /** JSON pointer into the rule, e.g. `/when/above`; '' for the rule as a whole. */
  path: Type.String(),
  message: Type.String(),
})

/** ErrorReply plus, for RULE_INVALID, the problems by field. */
export const RuleErrorReply = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Object({ fields: Type.Array(FieldProblem) })),
  }),
})

export const ReportedConfig = Type.Object({
  /** The version the gateway says it runs; 0 while it runs its local site file. */
  version: Type.Integer(),
  at: Type.Union([EpochMs, Type.Null()]),
  error: Type.Union([Type.Object({ version: Type.Integer(), reason: Type.String() }), Type.Null()]),
})

export const RulesView = Type.Object({
  gatewayId: Type.String(),
  /** The desired config version these rules belong to: pass it back as `ifVersion` when saving. */
  version: Type.Integer(),
  /**
   * `desired`: the cloud's latest desired config. `reported`: the cloud has none yet, and
   * these are the rules the gateway reported it runs (version 0); the first save makes
   * them desired version 1.
   */
  source: Type.Union([Type.Literal('desired'), Type.Literal('reported')]),
  /** The site's IANA time zone, for schedules and the dry run. */
  timeZone: Type.String(),
  /** Device ids of the config, for the device pickers of a rule form. */
  deviceIds: Type.Array(Type.String()),
  rules: Type.Array(Type.Unknown()),
  reported: ReportedConfig,
})
export type RulesView = Type.Static<typeof RulesView>

const KindSchema = Type.Object({ kind: Type.String(), schema: Type.Unknown() })
export const RuleKinds = Type.Object({
  rule: Type.Unknown({ description: 'JSON Schema of a rule (id, description, enabled, when, alarm, actions, rearmActions)' }),
  alarmPolicy: Type.Unknown({ description: 'JSON Schema of the `alarm` shorthand' }),
  conditions: Type.Array(KindSchema),
  actions: Type.Array(KindSchema),
})

export const ValidateBody = Type.Object(
  {
    rule: Type.Unknown(),
    /** True for a new rule: an id the config already has is then a problem at `/id`. */
    create: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type ValidateBody = Type.Static<typeof ValidateBody>
export const ValidateReply = Type.Object({ ok: Type.Literal(true) })

export const WriteQuery = Type.Object(
  {
    /** The desired config version the change was made on; 409 CONFIG_VERSION_CONFLICT if it moved. */
    ifVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

export const RuleSaved = Type.Object({
  gatewayId: Type.String(),
  /** The new desired config version, already pushed to the gateway if it is connected. */
  version: Type.Integer(),
  rule: Type.Unknown(),
})
export const RuleDeleted = Type.Object({ gatewayId: Type.String(), version: Type.Integer() })

export const DryRunBody = Type.Object(
  {
    rule: Type.Unknown(),
    /** Epoch ms; default `to` minus 24 h. */
    from: Type.Optional(EpochMs),
    /** Epoch ms; default now. At most 31 days after `from`. */
    to: Type.Optional(EpochMs),
  },
  { additionalProperties: false },
)
export type DryRunBody = Type.Static<typeof DryRunBody>

export const DryRunReply = Type.Object({
  ruleId: Type.String(),
  from: EpochMs,
  to: EpochMs,
  timeZone: Type.String(),
  /** Events read, including the warm-up before `from` that lets held conditions build up. */
  eventsReplayed: Type.Integer(),
  /** True when the window held more events than one dry run reads: transitions stop where reading did. */
  truncated: Type.Boolean(),
  /** As the gateway's engine would have seen them: `fire` when the rule acts (an alarm is raised), `rearm` when it recovers. */
  transitions: Type.Array(
    Type.Object({
      time: EpochMs,
      transition: Type.Union([Type.Literal('fire'), Type.Literal('rearm')]),
      deviceId: Type.String(),
      value: Type.Optional(Type.Number()),
    }),
  ),
})
export type DryRunReply = Type.Static<typeof DryRunReply>
