// Every fault scenario ends by recording what it measured, in the same terms for all of them: how many
// events were sent, how many reached their destination, how many a user saw twice, how many were lost.
// The figures go to reports/reliability/<id>.json; `npm run reliability:report` renders them as the
// table of RELIABILITY.md, and .ci/run prints it, so every run shows its own figures.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

export const reliabilityReportDir = join(import.meta.dirname, '..', '..', '..', 'reports', 'reliability')

export const scenarioFiguresSchema = z.object({
  /** Stable, ordered id: `1-broker-restart`, `2-function-kill`, ... */
  id: z.string().regex(/^\d+-[a-z0-9-]+$/),
  title: z.string().min(1),
  /** Events the producer side had acknowledged (201s, broker acks). */
  sent: z.number().int().nonnegative(),
  /** Of those, how many had their effect (per destination, the smallest count). */
  delivered: z.number().int().nonnegative(),
  /**
   * Effects a user could see twice (a second notification, a second audit row); null where the scenario
   * stops at the topic (no user-facing effect: its duplicate records are in `details`).
   */
  duplicatesSeenByUsers: z.number().int().nonnegative().nullable(),
  lost: z.number().int().nonnegative(),
  /** What else the scenario measured (redeliveries absorbed, outage length, ...), name -> value. */
  details: z.record(z.string(), z.union([z.number(), z.string()])),
  durationMs: z.number().nonnegative(),
  ranAt: z.iso.datetime(),
})

export type ScenarioFigures = z.infer<typeof scenarioFiguresSchema>

export function recordScenario(figures: Omit<ScenarioFigures, 'ranAt'>): ScenarioFigures {
  const recorded = scenarioFiguresSchema.parse({ ...figures, ranAt: new Date().toISOString() })
  mkdirSync(reliabilityReportDir, { recursive: true })
  writeFileSync(join(reliabilityReportDir, `${recorded.id}.json`), `${JSON.stringify(recorded, null, 2)}\n`)
  console.info(
    `[reliability] ${recorded.id}: sent ${recorded.sent}, delivered ${recorded.delivered}, ` +
      `duplicates seen ${recorded.duplicatesSeenByUsers}, lost ${recorded.lost} ${JSON.stringify(recorded.details)}`,
  )
  return recorded
}
