import { RfidReaderModel, type RfidReaderParams, type RfidSwipe } from './rfid-reader.js'
import { mulberry32 } from './seeded-random.js'

/**
 * A door with an RFID reader, an electric strike and a door contact (the VIP room or the
 * drinks storeroom of a bar).
 *
 * Swipes come from an RfidReaderModel (hourly profile, enrolled cards, strangers, retries).
 * An enrolled card releases the strike for `unlockS` and the person walks through: the door
 * opens 1–4 s after the swipe and stays open 0.5–1.5 × `walkOpenMeanS`; a stranger's card
 * opens nothing. Walk-throughs that overlap are one opening. The walk-through timings are
 * drawn from their own seeded stream, one pair per granted swipe, in swipe order, so the
 * whole trace is fixed by the seed however time is sliced.
 *
 * `holdDoor` opens the door from outside the schedule (someone props it, or forces it): an
 * opening with no granted swipe in the last `unlockS` is **forced**, which is what the
 * reader's door-forced alarm input reports.
 */
export interface AccessDoorParams extends RfidReaderParams {
  /** How long a granted swipe releases the strike, s: a door opened in it is not forced. */
  unlockS: number
  /** Mean time the door stays open for one walk-through, s. */
  walkOpenMeanS: number
}

/** A storeroom: a few staff cards, a handful of trips an hour while the bar is open. */
export const defaultAccessDoorParams: Readonly<Omit<AccessDoorParams, 'cards' | 'hourlySwipes' | 'unknownCardShare' | 'retryShare' | 'startHour' | 'seed'>> =
  Object.freeze({
    unlockS: 10, // s
    walkOpenMeanS: 8, // s
  })

export interface AccessDoorEdge {
  atS: number
  kind: 'door'
  open: boolean
  forced: boolean
}
export type AccessDoorEvent = { atS: number; kind: 'swipe'; swipe: RfidSwipe; granted: boolean } | AccessDoorEdge

interface Walk {
  openAt: number
  closeAt: number
}

export class AccessDoorModel {
  readonly params: Readonly<Pick<AccessDoorParams, 'unlockS' | 'walkOpenMeanS'>>
  private readonly reader: RfidReaderModel
  private readonly random: () => number
  private elapsed = 0
  /** Walk-throughs drawn and not yet over, sorted, never overlapping; the first may be under way. */
  private walks: Walk[] = []
  private walking = false
  private held = false
  private lastGrantAt = Number.NEGATIVE_INFINITY
  private openings = 0
  private forcings = 0

  constructor(params: Partial<AccessDoorParams> = {}) {
    const { unlockS, walkOpenMeanS, ...reader } = { ...defaultAccessDoorParams, ...params }
    if (!(unlockS >= 0 && Number.isFinite(unlockS))) throw new RangeError('access door: unlockS must be >= 0')
    if (!(walkOpenMeanS > 0 && Number.isFinite(walkOpenMeanS))) throw new RangeError('access door: walkOpenMeanS must be > 0')
    this.params = Object.freeze({ unlockS, walkOpenMeanS })
    this.reader = new RfidReaderModel(reader)
    this.random = mulberry32(((reader.seed ?? 1) ^ 0x0d00f) >>> 0)
  }

  get elapsedS(): number {
    return this.elapsed
  }

  get isOpen(): boolean {
    return this.walking || this.held
  }

  get swipeCount(): number {
    return this.reader.swipeCount
  }

  get openingCount(): number {
    return this.openings
  }

  get forcedCount(): number {
    return this.forcings
  }

  /**
   * Open the door from outside the schedule (true) or let it go (false). Returns the edge it
   * caused, if any; an opening with no granted swipe in the last `unlockS` is forced.
   */
  holdDoor(open: boolean): AccessDoorEdge | undefined {
    const was = this.isOpen
    this.held = open
    if (this.isOpen === was) return undefined
    if (!this.isOpen) return { atS: this.elapsed, kind: 'door', open: false, forced: false }
    const forced = this.elapsed - this.lastGrantAt > this.params.unlockS
    this.openings++
    if (forced) this.forcings++
    return { atS: this.elapsed, kind: 'door', open: true, forced }
  }

  /** Advance `dtS`; returns swipes and door edges in time order. */
  step(dtS: number): AccessDoorEvent[] {
    if (!(dtS >= 0) || !Number.isFinite(dtS)) throw new RangeError(`access door: step needs a finite dt >= 0, got ${dtS}`)
    const end = this.elapsed + dtS
    const out: AccessDoorEvent[] = []
    for (const swipe of this.reader.step(dtS)) {
      out.push({ atS: swipe.atS, kind: 'swipe', swipe, granted: swipe.enrolled })
      if (!swipe.enrolled) continue
      this.lastGrantAt = swipe.atS
      const openAt = swipe.atS + 1 + 3 * this.random()
      this.addWalk({ openAt, closeAt: openAt + this.params.walkOpenMeanS * (0.5 + this.random()) })
    }
    for (let walk = this.walks[0]; walk && walk.openAt <= end; walk = this.walks[0]) {
      if (!this.walking) {
        this.walking = true
        if (!this.held) {
          this.openings++
          out.push({ atS: walk.openAt, kind: 'door', open: true, forced: false })
        }
      }
      if (walk.closeAt > end) break
      this.walking = false
      this.walks.shift()
      if (!this.held) out.push({ atS: walk.closeAt, kind: 'door', open: false, forced: false })
    }
    this.elapsed = end
    return out.sort((a, b) => a.atS - b.atS)
  }

  private addWalk(walk: Walk): void {
    const walks = [...this.walks, walk].sort((a, b) => a.openAt - b.openAt)
    const merged: Walk[] = []
    for (const w of walks) {
      const last = merged.at(-1)
      if (last && w.openAt <= last.closeAt) last.closeAt = Math.max(last.closeAt, w.closeAt)
      else merged.push({ ...w })
    }
    this.walks = merged
  }
}
