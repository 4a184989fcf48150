/**
 * A two-rate three-colour marker (trTCM, RFC 2698) in colour-blind mode, as
 * v1model meters behave on BMv2.
 *
 * RFC 2698 §3: the P bucket (size PBS, rate PIR) and the C bucket (size CBS,
 * rate CIR) both start full. For a packet of size B at time t:
 *   - if Tp(t) - B < 0 the packet is red;
 *   - else if Tc(t) - B < 0 it is yellow and Tp is decremented by B;
 *   - else it is green and both Tp and Tc are decremented by B.
 *
 * BMv2 (p4lang/behavioral-model `src/bm_sim/meters.cpp`, `Meter::execute`;
 * rates are stored peak first after `set_rates` reverses {CIR, PIR}) does
 * exactly this: it walks the P bucket then the C bucket and stops at the first
 * one short of tokens. Its refill is computed against a fixed time origin —
 * tokens credited so far = floor(microseconds since origin × rate) — so
 * rounding never accumulates. This class does the same with exact integer
 * arithmetic (BMv2 multiplies by a per-microsecond `double`; for integer
 * rates in units per second the results agree except where that double
 * product rounds across an integer).
 *
 * Colours are v1model's: 0 = V1MODEL_METER_COLOR_GREEN, 1 = YELLOW, 2 = RED.
 * An unconfigured meter marks every packet green, as BMv2's does; use
 * {@link UNCONFIGURED_METER} for one.
 */

/** v1model meter colours. */
export const METER_GREEN = 0;
export const METER_YELLOW = 1;
export const METER_RED = 2;
export type MeterColor = 0 | 1 | 2;

export type MeterUnit = 'packets' | 'bytes';

/**
 * trTCM parameters as P4Runtime's `MeterConfig` carries them: rates in units
 * (packets or bytes) per second, bursts in units.
 */
export interface TrTcmConfig {
  readonly cir: number;
  readonly cburst: number;
  readonly pir: number;
  readonly pburst: number;
}

/** Anything that colours packets: a configured meter or {@link UNCONFIGURED_METER}. */
export interface ColorMeter {
  execute(nowMicros: bigint, packetBytes: number, preColor?: MeterColor): MeterColor;
}

/**
 * The behaviour of a meter with no configuration: every packet is green, even
 * with a pre-colour (BMv2's `Meter::execute` returns 0 before looking at it).
 */
export const UNCONFIGURED_METER: ColorMeter = Object.freeze({
  execute: (): MeterColor => METER_GREEN,
});

const MICROS_PER_SECOND = 1_000_000n;

/**
 * Checks a trTCM configuration; returns a description of the first problem, or
 * `undefined` when it is valid. Rates and bursts must be non-negative safe
 * integers and PIR must not be below CIR (BMv2 refuses that with
 * INVALID_INFO_RATE_VALUE).
 */
export function checkTrTcmConfig(config: TrTcmConfig): string | undefined {
  for (const key of ['cir', 'cburst', 'pir', 'pburst'] as const) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      return `${key} must be a non-negative integer, got ${String(v)}`;
    }
  }
  if (config.pir < config.cir) return `pir (${config.pir}) must not be below cir (${config.cir})`;
  return undefined;
}

class Bucket {
  readonly rate: bigint;
  readonly burst: bigint;
  tokens: bigint;
  /** Tokens credited from the origin up to the last update: floor(elapsed × rate / 1e6). */
  credited = 0n;

  constructor(rate: number, burst: number) {
    this.rate = BigInt(rate);
    this.burst = BigInt(burst);
    this.tokens = this.burst;
  }

  refill(elapsedMicros: bigint): void {
    const total = (elapsedMicros * this.rate) / MICROS_PER_SECOND;
    const fresh = total - this.credited;
    this.credited = total;
    const t = this.tokens + fresh;
    this.tokens = t < this.burst ? t : this.burst;
  }
}

/** A colour-blind RFC 2698 two-rate three-colour meter. */
export class TwoRateThreeColorMeter implements ColorMeter {
  readonly config: TrTcmConfig;
  readonly unit: MeterUnit;
  readonly originMicros: bigint;
  private readonly peak: Bucket;
  private readonly committed: Bucket;
  private lastMicros: bigint;

  /**
   * @param originMicros the time origin from which refills are counted (BMv2:
   *   the meter's creation); both buckets are full at that instant.
   * @throws RangeError for an invalid configuration (see {@link checkTrTcmConfig}).
   */
  constructor(config: TrTcmConfig, unit: MeterUnit, originMicros = 0n) {
    const problem = checkTrTcmConfig(config);
    if (problem !== undefined) throw new RangeError(`invalid meter configuration: ${problem}`);
    this.config = { cir: config.cir, cburst: config.cburst, pir: config.pir, pburst: config.pburst };
    this.unit = unit;
    this.originMicros = originMicros;
    this.lastMicros = originMicros;
    this.peak = new Bucket(config.pir, config.pburst);
    this.committed = new Bucket(config.cir, config.cburst);
  }

  /**
   * Colours one packet arriving at `nowMicros`. `packetBytes` is the size used
   * in byte mode (BMv2 uses the packet's ingress length); packet mode counts 1.
   * Time that goes backwards (or precedes the origin) adds no tokens and never
   * throws. With `preColor` the result is the worse of the two colours, as
   * BMv2's `Meter::execute(pkt, pre_color)` returns.
   */
  execute(nowMicros: bigint, packetBytes: number, preColor: MeterColor = METER_GREEN): MeterColor {
    if (nowMicros > this.lastMicros) this.lastMicros = nowMicros;
    const elapsed = this.lastMicros - this.originMicros;
    this.peak.refill(elapsed);
    this.committed.refill(elapsed);
    const size =
      this.unit === 'packets' ? 1n : BigInt(Number.isFinite(packetBytes) && packetBytes > 0 ? Math.floor(packetBytes) : 0);
    let color: MeterColor;
    if (this.peak.tokens < size) {
      color = METER_RED;
    } else if (this.committed.tokens < size) {
      this.peak.tokens -= size;
      color = METER_YELLOW;
    } else {
      this.peak.tokens -= size;
      this.committed.tokens -= size;
      color = METER_GREEN;
    }
    return color > preColor ? color : preColor;
  }

  /** Current token counts (for inspection and tests). */
  tokens(): { committed: bigint; peak: bigint } {
    return { committed: this.committed.tokens, peak: this.peak.tokens };
  }
}
