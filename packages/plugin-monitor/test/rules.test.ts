import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../src/rules.js';
import type { Rule } from '../src/types.js';

const rule = (over: Partial<Rule> = {}): Rule => ({
  id: 1,
  name: 'CPU high',
  metric: 'cpu.total',
  comparison: '>',
  threshold: 80,
  durationSeconds: 60,
  hysteresis: 10,
  enabled: true,
  ...over,
});

/** Feeds values one every 10 s from t=0 and returns the transitions as "kind@seconds". */
function run(engine: RuleEngine, values: number[], metric = 'cpu.total') {
  return values.flatMap((v, i) =>
    engine.evaluate({ [metric]: v }, i * 10_000).map((t) => `${t.kind}@${i * 10}`),
  );
}

describe('RuleEngine', () => {
  it('fires only after the condition held for the whole duration', () => {
    const e = new RuleEngine();
    e.setRules([rule()]);
    // 90 from t=0..50 (50 s: not yet), drop at 60 resets, then 90 from 70 to 130 → fires at 130.
    expect(run(e, [90, 90, 90, 90, 90, 90, 50, 90, 90, 90, 90, 90, 90, 90])).toEqual(['fired@130']);
  });

  it('uses hysteresis so a value hovering around the threshold does not flap', () => {
    const e = new RuleEngine();
    e.setRules([rule({ durationSeconds: 0 })]);
    // fires at once; 79, 75, 85, 71 stay above 80-10=70 → still firing; 69 resolves.
    expect(run(e, [85, 79, 75, 85, 71, 69, 75, 81])).toEqual(['fired@0', 'resolved@50', 'fired@70']);
  });

  it('handles "below" rules with hysteresis upwards', () => {
    const e = new RuleEngine();
    e.setRules([
      rule({ comparison: '<=', threshold: 10, hysteresis: 5, durationSeconds: 0, metric: 'disk.free' }),
    ]);
    expect(run(e, [20, 10, 14, 16], 'disk.free')).toEqual(['fired@10', 'resolved@30']);
  });

  it('ignores disabled rules and samples without the metric', () => {
    const e = new RuleEngine();
    e.setRules([rule({ durationSeconds: 0, enabled: false }), rule({ id: 2, durationSeconds: 0 })]);
    expect(e.evaluate({ 'mem.used_pct': 99 }, 0)).toEqual([]);
    expect(e.evaluate({ 'cpu.total': 99 }, 1).map((t) => t.rule.id)).toEqual([2]);
  });

  it('keeps a rule state across setRules when its condition is unchanged, resets it otherwise', () => {
    const e = new RuleEngine();
    e.setRules([rule({ durationSeconds: 0 })]);
    e.evaluate({ 'cpu.total': 99 }, 0);
    e.setRules([rule({ durationSeconds: 0, name: 'renamed' })]);
    expect(e.state(1)?.firing).toBe(true);
    e.setRules([rule({ durationSeconds: 0, threshold: 95 })]);
    expect(e.state(1)).toBeUndefined();
  });

  it('reports state changes on transitions only, not on every sample', () => {
    const e = new RuleEngine();
    e.setRules([rule()]);
    const changes = (v: number, sec: number) => {
      e.evaluate({ 'cpu.total': v }, sec * 1000);
      return e
        .takeChanges()
        .map((c) =>
          c.state ? (c.state.firing ? 'firing' : c.state.pendingSince === null ? 'ok' : 'pending') : 'gone',
        );
    };
    expect(changes(50, 0)).toEqual([]);
    expect(changes(90, 10)).toEqual(['pending']);
    expect(changes(91, 20)).toEqual([]);
    expect(changes(92, 70)).toEqual(['firing']);
    expect(changes(93, 80)).toEqual([]);
    expect(changes(60, 90)).toEqual(['ok']);
    e.setRules([]);
    expect(e.takeChanges()).toEqual([{ ruleId: 1, state: null }]);
  });

  it('takes back a saved state for enabled rules only', () => {
    const e = new RuleEngine();
    e.setRules([rule(), rule({ id: 2, enabled: false })]);
    const saved = { pendingSince: null, firing: true, firedAt: 5, lastValue: 95 };
    e.restore([
      { ruleId: 1, state: saved },
      { ruleId: 2, state: saved },
      { ruleId: 3, state: saved },
    ]);
    expect(e.state(1)).toEqual(saved);
    expect(e.state(2)).toBeUndefined();
    expect(e.state(3)).toBeUndefined();
    // Still firing: the next breaching sample does not fire again.
    expect(e.evaluate({ 'cpu.total': 99 }, 10_000)).toEqual([]);
  });
});
