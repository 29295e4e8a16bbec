// Runtime: vitest (pure, no root). The two pure oracles of DESIGN §3 — the reference evaluator
// (recursive walk) and the table walk (flattened table, one index) — agree on the differential
// test's random trees and packet sequences: verdict, deciding rule, every counter increment, log
// events and the state carried to the next packet. Fast, so it runs many more cases than the
// kernel differential can.
//   TW_ORACLE_CASES=N (default 600), TW_ORACLE_SEED=S (default fixed).
import { describe, expect, it } from 'vitest';
import { createState, evaluate, formatPacket } from '../../shared/evaluator/index.ts';
import { flattenTable, tableWalk } from '../../shared/evaluator/table-walk.ts';
import type { Rule } from '../../shared/model/types.ts';
import { describeDocument } from './differential.ts';
import { randomDocument, randomPacketSequence, Rng } from './random-trees.ts';

const CASES = Number(process.env.TW_ORACLE_CASES ?? 600);
const SEED = Number(process.env.TW_ORACLE_SEED ?? 20261207);

describe('the evaluator and the table walk agree', () => {
  it(`with Port forward and Route to: ${Math.ceil(CASES / 2)} random trees x 40 packets`, () => {
    let translated = 0;
    let routed = 0;
    for (let i = 0; i < Math.ceil(CASES / 2); i++) {
      const rng = new Rng(SEED + 500000 + i);
      const doc = randomDocument(rng, { maxRules: 150, maxDepth: 5, nat: true });
      const table = flattenTable(doc.rules);
      let a = createState(0);
      let b = createState(0);
      for (const [k, p] of randomPacketSequence(rng, 40).entries()) {
        const e = evaluate(doc, p, a);
        const t = tableWalk(doc, p, b, {}, table);
        const got = [t.verdict, t.verdictRuleId, t.verdictAction, t.matched, t.logEvents];
        const want = [e.verdict, e.verdictRuleId, e.verdictAction, e.matched, e.logEvents];
        if (
          JSON.stringify(got) !== JSON.stringify(want) ||
          JSON.stringify(t.state) !== JSON.stringify(e.state)
        ) {
          expect.fail(
            [
              `nat seed ${SEED + 500000 + i}, packet ${k + 1}: ${formatPacket(p)}`,
              describeDocument(doc),
              `table walk: ${JSON.stringify(got)}`,
              `evaluator:  ${JSON.stringify(want)}`,
            ].join('\n'),
          );
        }
        if (e.translated) translated++;
        if (e.verdict === 'route to') routed++;
        a = e.state;
        b = t.state;
      }
    }
    console.log(`oracles agree with NAT: ${translated} packets translated, ${routed} routed to`);
    expect(translated).toBeGreaterThan(0);
    expect(routed).toBeGreaterThan(0);
  });

  it(`with Delay: ${Math.ceil(CASES / 2)} random trees x 40 packets`, () => {
    let delayed = 0;
    let outbound = 0;
    for (let i = 0; i < Math.ceil(CASES / 2); i++) {
      const rng = new Rng(SEED + 800000 + i);
      const doc = randomDocument(rng, { maxRules: 150, maxDepth: 5, delay: true });
      const table = flattenTable(doc.rules);
      let a = createState(0);
      let b = createState(0);
      for (const [k, p] of randomPacketSequence(rng, 40).entries()) {
        const e = evaluate(doc, p, a);
        const t = tableWalk(doc, p, b, {}, table);
        const got = [t.verdict, t.verdictRuleId, t.verdictAction, t.matched, t.logEvents];
        const want = [e.verdict, e.verdictRuleId, e.verdictAction, e.matched, e.logEvents];
        if (
          JSON.stringify(got) !== JSON.stringify(want) ||
          JSON.stringify(t.state) !== JSON.stringify(e.state)
        ) {
          expect.fail(
            [
              `delay seed ${SEED + 800000 + i}, packet ${k + 1}: ${formatPacket(p)}`,
              describeDocument(doc),
              `table walk: ${JSON.stringify(got)}`,
              `evaluator:  ${JSON.stringify(want)}`,
            ].join('\n'),
          );
        }
        if (e.verdict === 'delay') delayed++;
        // A packet the host sends passes at once at a Delay (kftDelay.c holds arriving ones).
        if (e.verdictAction === 'Delay' && p.direction === 'outbound') {
          expect(e.verdict).toBe('pass');
          outbound++;
        }
        a = e.state;
        b = t.state;
      }
    }
    console.log(
      `oracles agree with Delay: ${delayed} packets delayed, ${outbound} sent ones passed`,
    );
    expect(delayed).toBeGreaterThan(0);
    expect(outbound).toBeGreaterThan(0);
  });

  it(`with Data content and URL keyword: ${Math.ceil(CASES / 2)} random trees x 40 packets`, () => {
    let found = 0;
    for (let i = 0; i < Math.ceil(CASES / 2); i++) {
      const rng = new Rng(SEED + 900000 + i);
      const doc = randomDocument(rng, { maxRules: 150, maxDepth: 5, content: true });
      const content = new Set<string>();
      const walk = (rules: Rule[]): void => {
        for (const r of rules) {
          if (/^(Data content|URL keyword)$/.test(r.property) && r.relation !== '!=')
            content.add(r.id);
          walk(r.children);
        }
      };
      walk(doc.rules);
      const table = flattenTable(doc.rules);
      let a = createState(0);
      let b = createState(0);
      for (const [k, p] of randomPacketSequence(rng, 40, { content: true }).entries()) {
        const e = evaluate(doc, p, a);
        const t = tableWalk(doc, p, b, {}, table);
        const got = [t.verdict, t.verdictRuleId, t.verdictAction, t.matched, t.logEvents];
        const want = [e.verdict, e.verdictRuleId, e.verdictAction, e.matched, e.logEvents];
        if (
          JSON.stringify(got) !== JSON.stringify(want) ||
          JSON.stringify(t.state) !== JSON.stringify(e.state)
        ) {
          expect.fail(
            [
              `content seed ${SEED + 900000 + i}, packet ${k + 1}: ${formatPacket(p)}`,
              describeDocument(doc),
              `table walk: ${JSON.stringify(got)}`,
              `evaluator:  ${JSON.stringify(want)}`,
            ].join('\n'),
          );
        }
        if (e.matched.some((id) => content.has(id))) found++;
        a = e.state;
        b = t.state;
      }
    }
    console.log(
      `oracles agree with content: ${found} packets matched by a content rule (== / a=A)`,
    );
    expect(found).toBeGreaterThan(0);
  });

  it(`${CASES} random trees x 40 packets (seed ${SEED})`, () => {
    let packets = 0;
    let sideEffectMatches = 0;
    let skips = 0;
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(SEED + i);
      const doc = randomDocument(rng, { maxRules: 250, maxDepth: 5 });
      const probes = randomPacketSequence(rng, 40);
      const table = flattenTable(doc.rules);
      let a = createState(0);
      let b = createState(0);
      for (const [k, p] of probes.entries()) {
        const e = evaluate(doc, p, a);
        const t = tableWalk(doc, p, b, {}, table);
        const got = {
          verdict: t.verdict,
          by: t.verdictRuleId,
          matched: t.matched,
          log: t.logEvents,
        };
        const want = {
          verdict: e.verdict,
          by: e.verdictRuleId,
          matched: e.matched,
          log: e.logEvents,
        };
        if (
          JSON.stringify(got) !== JSON.stringify(want) ||
          JSON.stringify(t.state) !== JSON.stringify(e.state)
        ) {
          expect.fail(
            [
              `seed ${SEED + i}, packet ${k + 1}: ${formatPacket(p)}`,
              describeDocument(doc),
              `table walk: ${JSON.stringify(got)}`,
              `evaluator:  ${JSON.stringify(want)}`,
              `states equal: ${JSON.stringify(t.state) === JSON.stringify(e.state)}`,
            ].join('\n'),
          );
        }
        a = e.state;
        b = t.state;
        packets++;
        sideEffectMatches += e.steps.filter((s) => s.afterVerdict && s.kind === 'match').length;
        skips += e.steps.filter((s) => s.kind === 'skipped').length;
      }
    }
    console.log(
      `oracles agree: ${CASES} cases (seed ${SEED}..${SEED + CASES - 1}), ${packets} packets, ` +
        `${sideEffectMatches} matches after a verdict, ${skips} rules skipped by ++`,
    );
    expect(sideEffectMatches).toBeGreaterThan(0);
    expect(skips).toBeGreaterThan(0);
  });
});
