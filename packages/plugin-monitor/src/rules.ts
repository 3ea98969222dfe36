import type { Comparison, Metrics, Rule } from './types.js';

/** A change of an alert's state, produced by {@link RuleEngine.evaluate}. */
export interface Transition {
  kind: 'fired' | 'resolved';
  rule: Rule;
  value: number;
  at: number;
}

export interface RuleState {
  /** Since when the condition has held without the alert having fired yet (epoch ms). */
  pendingSince: number | null;
  firing: boolean;
  firedAt: number | null;
  lastValue: number | null;
}

const breaches = (cmp: Comparison, value: number, threshold: number): boolean => {
  switch (cmp) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
};

/**
 * The alert rule engine: pure state, fed one metric map at a time with its timestamp.
 *
 * - A rule fires once its condition (`value <comparison> threshold`) has held for
 *   `durationSeconds` without interruption (0: at the first breaching sample).
 * - A firing rule resolves only when the value is back past the threshold by `hysteresis`
 *   (for `>`/`>=`: `value < threshold - hysteresis`; for `<`/`<=`: `value > threshold + hysteresis`),
 *   so a value hovering around the threshold does not flap.
 * - A metric missing from a sample leaves the rule's state unchanged.
 *
 * @example
 * const engine = new RuleEngine();
 * engine.setRules([{ id: 1, name: 'CPU high', metric: 'cpu.total', comparison: '>', threshold: 90,
 *   durationSeconds: 60, hysteresis: 5, enabled: true }]);
 * engine.evaluate({ 'cpu.total': 95 }, Date.now()); // [] until 60 s of breaching samples
 */
export class RuleEngine {
  #rules = new Map<number, Rule>();
  #state = new Map<number, RuleState>();

  /** Replaces the rule set; a rule's state survives when its metric, comparison and threshold did not change. */
  setRules(rules: Rule[]): void {
    const next = new Map(rules.map((r) => [r.id, r]));
    for (const id of this.#state.keys()) {
      const before = this.#rules.get(id);
      const after = next.get(id);
      const same =
        before !== undefined &&
        after?.enabled === true &&
        before.metric === after.metric &&
        before.comparison === after.comparison &&
        before.threshold === after.threshold;
      if (!same) this.#state.delete(id);
    }
    this.#rules = next;
  }

  state(id: number): RuleState | undefined {
    const s = this.#state.get(id);
    return s ? { ...s } : undefined;
  }

  evaluate(metrics: Metrics, at: number): Transition[] {
    const out: Transition[] = [];
    for (const rule of this.#rules.values()) {
      if (!rule.enabled) continue;
      const value = metrics[rule.metric];
      if (value === undefined || !Number.isFinite(value)) continue;
      let s = this.#state.get(rule.id);
      if (!s) {
        s = { pendingSince: null, firing: false, firedAt: null, lastValue: null };
        this.#state.set(rule.id, s);
      }
      s.lastValue = value;
      if (!s.firing) {
        if (breaches(rule.comparison, value, rule.threshold)) {
          s.pendingSince ??= at;
          if (at - s.pendingSince >= rule.durationSeconds * 1000) {
            s.firing = true;
            s.firedAt = at;
            s.pendingSince = null;
            out.push({ kind: 'fired', rule, value, at });
          }
        } else {
          s.pendingSince = null;
        }
      } else {
        const above = rule.comparison === '>' || rule.comparison === '>=';
        const cleared = above
          ? value < rule.threshold - rule.hysteresis
          : value > rule.threshold + rule.hysteresis;
        if (cleared) {
          s.firing = false;
          s.firedAt = null;
          out.push({ kind: 'resolved', rule, value, at });
        }
      }
    }
    return out;
  }
}
