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

/**
 * A rule state to persist, or `state: null` when the rule's state is gone (rule deleted,
 * disabled or its condition changed). Produced by {@link RuleEngine.takeChanges}.
 */
export interface StateChange {
  ruleId: number;
  state: RuleState | null;
}

/** The part of a rule its state depends on: a state saved for another key is stale. */
export const ruleKey = (r: Pick<Rule, 'metric' | 'comparison' | 'threshold'>): string =>
  `${r.metric} ${r.comparison} ${r.threshold}`;

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
  /** Rules whose pending/firing state changed since the last {@link takeChanges}. */
  #changed = new Set<number>();

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
      if (!same) {
        this.#state.delete(id);
        this.#changed.add(id);
      }
    }
    for (const id of this.#rules.keys()) if (!next.has(id)) this.#changed.add(id);
    this.#rules = next;
  }

  /**
   * Takes back saved states after a restart, so an alert that was firing does not fire again
   * and a pending duration keeps counting from when it began. Call after {@link setRules};
   * states of unknown or disabled rules are ignored.
   */
  restore(states: Iterable<StateChange>): void {
    for (const { ruleId, state } of states) {
      if (!state || this.#rules.get(ruleId)?.enabled !== true) continue;
      this.#state.set(ruleId, { ...state });
    }
  }

  /**
   * The states changed since the last call: a pending duration began or was interrupted, an
   * alert fired or resolved, a rule's state was dropped. Not every sample (the last value alone
   * is not a change), so persisting them costs a write per transition only.
   */
  takeChanges(): StateChange[] {
    const out = [...this.#changed].map((ruleId) => ({ ruleId, state: this.state(ruleId) ?? null }));
    this.#changed.clear();
    return out;
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
          if (s.pendingSince === null) {
            s.pendingSince = at;
            this.#changed.add(rule.id);
          }
          if (at - s.pendingSince >= rule.durationSeconds * 1000) {
            s.firing = true;
            s.firedAt = at;
            s.pendingSince = null;
            this.#changed.add(rule.id);
            out.push({ kind: 'fired', rule, value, at });
          }
        } else if (s.pendingSince !== null) {
          s.pendingSince = null;
          this.#changed.add(rule.id);
        }
      } else {
        const above = rule.comparison === '>' || rule.comparison === '>=';
        const cleared = above
          ? value < rule.threshold - rule.hysteresis
          : value > rule.threshold + rule.hysteresis;
        if (cleared) {
          s.firing = false;
          s.firedAt = null;
          this.#changed.add(rule.id);
          out.push({ kind: 'resolved', rule, value, at });
        }
      }
    }
    return out;
  }
}
