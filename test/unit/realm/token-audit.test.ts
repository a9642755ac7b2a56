import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionDecision } from '../../../src/auth/permissions.js';
import type { AuditSink, NewAuditEntry } from '../../../src/domain/audit.js';
import type { ResourceScope } from '../../../src/domain/model.js';
import { sameAudit, TokenAuditRecorder, type TokenTrace, type TraceRequest, tokenEntry } from '../../../src/realm/token-audit.js';

// Small alphabets, so that equal requests come up often.
const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const scope: fc.Arbitrary<ResourceScope> = fc.record({
  type: pick('repository', 'registry'),
  name: pick('team/app', 'library/base', 'catalog'),
  actions: fc.subarray(['pull', 'push', '*'], { minLength: 1 }),
});
const action: fc.Arbitrary<ActionDecision> = fc.record({
  type: pick('repository'),
  name: pick('team/app', 'library/base'),
  action: pick('pull', 'push'),
  granted: fc.boolean(),
  rule: pick('role', 'not_a_member', 'role_lacks_push', 'system_admin'),
}) as fc.Arbitrary<ActionDecision>;
const request: fc.Arbitrary<TraceRequest> = fc.record(
  {
    scopes: fc.array(scope, { maxLength: 2 }),
    address: pick('10.0.0.1', '10.0.0.2'),
    clientId: pick('', 'docker'),
    userAgent: pick(undefined, 'docker/27', 'skopeo'),
  },
  { requiredKeys: ['scopes', 'address', 'clientId'] },
);
const trace: fc.Arbitrary<TokenTrace> = fc.record({
  at: fc.date({ min: new Date(0), max: new Date(2_000_000_000_000), noInvalidDate: true }),
  method: pick('password', 'robot', 'anonymous'),
  subject: pick(null, 'alice', 'bob'),
  actions: fc.array(action, { maxLength: 2 }),
  granted: fc.array(scope, { maxLength: 2 }),
  jti: fc.uuid(),
}) as fc.Arbitrary<TokenTrace>;

const withoutTimeAndJti = (e: NewAuditEntry) => ({ ...e, at: undefined, detail: { ...e.detail, jti: undefined } });

/** A sink that keeps whole entries, repeating the last one as the writer does. */
function memorySink(): AuditSink & { entries: NewAuditEntry[] } {
  const entries: NewAuditEntry[] = [];
  return {
    entries,
    record: (entry) => entries.push(entry),
    repeat: (seq, at, [jti]) => {
      const last = entries[seq - 1];
      if (seq !== entries.length || !last || last.kind !== 'token') return 0;
      return entries.push({ ...last, at, detail: { ...last.detail, jti: jti as string } });
    },
  };
}

describe('token audit', () => {
  it('sameAudit says yes only when tokenEntry gives the same entry but for time and jti', () => {
    // The second request is the first with one thing changed (or nothing but time and jti).
    const tweaks: ((r: TraceRequest, t: TokenTrace, a: TraceRequest, b: TokenTrace) => void)[] = [
      () => {},
      (r, _, a) => {
        r.address = a.address;
      },
      (r, _, a) => {
        r.clientId = a.clientId;
      },
      (r, _, a) => {
        r.userAgent = a.userAgent;
      },
      (r, _, a) => {
        r.scopes = a.scopes;
      },
      (_, t, __, b) => {
        t.method = b.method;
      },
      (_, t, __, b) => {
        t.subject = b.subject;
      },
      (_, t, __, b) => {
        t.actions = b.actions;
      },
      (_, t, __, b) => {
        t.granted = b.granted;
      },
      (_, t) => {
        const first = t.actions?.[0];
        if (first) t.actions = [{ ...first, granted: !first.granted }, ...(t.actions ?? []).slice(1)];
      },
      (_, t, __, b) => {
        const first = t.actions?.[0];
        if (first) t.actions = [{ ...first, rule: b.actions?.[0]?.rule ?? 'role' }, ...(t.actions ?? []).slice(1)];
      },
    ];
    fc.assert(
      fc.property(request, trace, request, trace, fc.nat(tweaks.length - 1), (ra, ta, other, otherTrace, which) => {
        const rb = structuredClone(ra);
        const tb: TokenTrace = { ...structuredClone(ta), at: otherTrace.at, jti: otherTrace.jti as string };
        (tweaks[which] as (typeof tweaks)[number])(rb, tb, other, otherTrace);
        const equal = JSON.stringify(withoutTimeAndJti(tokenEntry(ra, ta))) === JSON.stringify(withoutTimeAndJti(tokenEntry(rb, tb)));
        // It compares what the entry is made of, so it may say no to equal entries (a granted
        // action's rule), never yes to different ones, and always yes to a plain repeat.
        const same = sameAudit(ra, ta, rb, tb);
        if (same) expect(equal).toBe(true);
        if (which === 0) expect(same).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('the recorder records what tokenEntry would, repeats or not', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), trace, fc.boolean()), { minLength: 1, maxLength: 20 }), (steps) => {
        const requests: TraceRequest[] = [
          { scopes: [{ type: 'repository', name: 'team/app', actions: ['pull'] }], address: '10.0.0.1', clientId: 'docker' },
          { scopes: [{ type: 'repository', name: 'team/app', actions: ['pull'] }], address: '10.0.0.2', clientId: 'docker' },
          { scopes: [], address: '10.0.0.1', clientId: '' },
        ];
        const sink = memorySink();
        const recorder = new TokenAuditRecorder(sink);
        const expected: NewAuditEntry[] = [];
        for (const [which, t, fails] of steps) {
          const req = requests[which] as TraceRequest;
          const err = fails ? new Error('boom') : undefined;
          recorder.record(req, t, err);
          expected.push(tokenEntry(req, t, err));
          // Something else recorded in between: the next token is not a repeat of the last one.
          if (t.subject === 'bob') {
            const change = { ...expected.at(-1), kind: 'change' } as NewAuditEntry;
            sink.record(change);
            expected.push(change);
          }
        }
        expect(sink.entries).toEqual(expected);
      }),
    );
  });

  it('a client asking again is recorded without building its entry', () => {
    const sink = memorySink();
    let built = 0;
    const counting: AuditSink = {
      record: (e) => {
        built++;
        return sink.record(e);
      },
      repeat: sink.repeat,
    };
    const recorder = new TokenAuditRecorder(counting);
    const req: TraceRequest = { scopes: [{ type: 'repository', name: 'team/app', actions: ['pull'] }], address: '10.0.0.1', clientId: 'docker' };
    for (let i = 0; i < 5; i++)
      recorder.record(req, { at: new Date(i), method: 'password', subject: 'alice', actions: [], granted: [...req.scopes], jti: `j${i}` });
    expect(built).toBe(1);
    expect(sink.entries.map((e) => (e.kind === 'token' ? e.detail.jti : ''))).toEqual(['j0', 'j1', 'j2', 'j3', 'j4']);
  });
});
