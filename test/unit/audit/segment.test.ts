import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../../../src/domain/audit.js';
import { AuditSegmentBuilder, decodeSegment, MAX_SEGMENT_ENTRIES, segmentOf } from '../../../src/domain/audit-segment.js';

const token = (n: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry =>
  ({
    kind: 'token',
    at: new Date(1_700_000_000_000 + n),
    subject: 'alice',
    address: '10.0.0.1',
    projects: ['team'],
    repositories: ['team/app'],
    outcome: 'granted',
    detail: {
      method: 'password',
      clientId: 'docker',
      userAgent: 'docker/27.0',
      requested: ['repository:team/app:pull,push'],
      granted: ['repository:team/app:pull,push'],
      denied: [],
      jti: `jti-${n}`,
    },
    ...over,
  }) as NewAuditEntry;

const change: NewAuditEntry = {
  kind: 'change',
  at: new Date(1_700_000_000_500),
  subject: 'admin',
  address: '::1',
  projects: ['team'],
  repositories: [],
  outcome: 'ok',
  detail: { action: 'PUT /projects/:name/members/:member', target: { name: 'team', member: 'carol' }, fields: { role: 'developer' }, status: 200 },
};

const registry: NewAuditEntry = {
  kind: 'registry',
  at: new Date(1_700_000_000_200),
  subject: null,
  address: null,
  projects: ['library'],
  repositories: ['library/base'],
  outcome: 'pull',
  detail: { digest: 'sha256:00', source: 'registry:5000' },
};

describe('audit segments', () => {
  it('give back every entry as it was added, in order, with a summary of the whole', () => {
    const entries = [
      token(0),
      registry,
      token(7, {
        subject: null,
        outcome: 'denied',
        detail: {
          method: 'anonymous',
          requested: ['repository:team/app:push'],
          granted: [],
          denied: [{ resource: 'repository:team/app', action: 'push', reason: 'project_private' }],
        },
      } as Partial<NewAuditEntry>),
      change,
      token(3),
    ];
    const segment = segmentOf(entries);
    expect(decodeSegment(segment.body)).toEqual(entries);
    expect(segment.entries).toBe(5);
    expect(segment.firstAt).toEqual(new Date(1_700_000_000_000));
    expect(segment.lastAt).toEqual(new Date(1_700_000_000_500));
    expect(segment.kinds.sort()).toEqual(['change', 'registry', 'token']);
    expect(segment.subjects.sort()).toEqual(['', 'admin', 'alice']);
    expect(segment.outcomes.sort()).toEqual(['denied', 'granted', 'ok', 'pull']);
    expect(segment.projects.sort()).toEqual(['library', 'team']);
    expect(segment.repositories.sort()).toEqual(['library/base', 'team/app']);
  });

  it('round-trip any entries', () => {
    const text = fc.string({ maxLength: 12 });
    const entry = fc.record({
      kind: fc.constantFrom('token', 'change', 'registry'),
      at: fc.date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true }),
      subject: fc.option(text, { nil: null }),
      address: fc.option(text, { nil: null }),
      projects: fc.array(text, { maxLength: 3 }),
      repositories: fc.array(text, { maxLength: 3 }),
      outcome: fc.constantFrom('granted', 'partial', 'ok', 'push'),
      detail: fc.dictionary(
        text,
        fc.jsonValue({ maxDepth: 2 }).filter((v) => v !== null),
      ),
    }) as unknown as fc.Arbitrary<NewAuditEntry>;
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), (entries) => {
        // What JSON keeps is what a store keeps: -0 becomes 0, as it did before segments.
        expect(decodeSegment(segmentOf(entries).body)).toEqual(entries.map((e) => ({ ...JSON.parse(JSON.stringify(e)), at: e.at })));
      }),
    );
  });

  it('store a busy realm in a fraction of its entries as JSON', () => {
    const entries = Array.from({ length: 5_000 }, (_, n) => token(n));
    expect(segmentOf(entries).body.length).toBeLessThan(JSON.stringify(entries).length / 5);
  });

  it('still read the plain JSON array of entries written before format 2', () => {
    const body = JSON.stringify([token(1), change]);
    expect(decodeSegment(body)).toEqual([token(1), change]);
    expect(() => decodeSegment('{"v":3}')).toThrow(/unknown audit segment format 3/);
  });

  it('take nothing after sealing, nothing past the maximum, and stay whole when an entry cannot be encoded', () => {
    const b = new AuditSegmentBuilder();
    b.add(token(0));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => b.add({ ...change, detail: { ...change.detail, fields: circular } })).toThrow();
    expect(b.size).toBe(1);
    expect(decodeSegment(b.seal().body)).toEqual([token(0)]);
    expect(b.seal()).toBe(b.seal());
    expect(() => b.add(token(1))).toThrow(/sealed/);

    const full = new AuditSegmentBuilder();
    for (let n = 0; n < MAX_SEGMENT_ENTRIES; n++) full.add(token(n));
    expect(() => full.add(token(0))).toThrow(RangeError);
  });

  it('repeat the last entry with a new time and jti, and refuse a repeat that does not fit', () => {
    const b = new AuditSegmentBuilder();
    expect(b.repeatLast(new Date(1), ['x'])).toBe(false);
    b.add(token(0));
    expect(b.repeatLast(new Date(1_700_000_000_009), ['jti-9'])).toBe(true);
    expect(b.repeatLast(new Date(1_700_000_000_010), [])).toBe(false);
    b.add(change);
    expect(b.repeatLast(new Date(1_700_000_000_600), [])).toBe(true);
    const segment = b.seal();
    expect(decodeSegment(segment.body)).toEqual([token(0), token(9), change, { ...change, at: new Date(1_700_000_000_600) }]);
    expect(segment.entries).toBe(4);
    expect(segment.lastAt).toEqual(new Date(1_700_000_000_600));
    expect(b.repeatLast(new Date(1), [])).toBe(false);
  });

  it('round-trip any mix of entries and repeats', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 0, max: 50 }), jti: fc.boolean() }),
      fc.record({ repeatAt: fc.integer({ min: -1_000, max: 1_000 }), jti: fc.string({ maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const b = new AuditSegmentBuilder();
        const model: NewAuditEntry[] = [];
        for (const o of ops) {
          if ('add' in o) {
            const e = o.jti ? token(o.add) : ({ ...token(o.add), detail: { ...token(o.add).detail, jti: undefined } } as unknown as NewAuditEntry);
            if (!o.jti) delete (e.detail as { jti?: string }).jti;
            b.add(e);
            model.push(e);
            continue;
          }
          const last = model.at(-1);
          const hasJti = last?.kind === 'token' && last.detail.jti !== undefined;
          const at = new Date(1_700_000_000_000 + o.repeatAt);
          const ok = b.repeatLast(at, hasJti ? [o.jti] : []);
          expect(ok).toBe(last !== undefined);
          if (last) model.push({ ...last, at, detail: hasJti ? { ...last.detail, jti: o.jti } : last.detail } as NewAuditEntry);
        }
        expect(decodeSegment(b.seal().body)).toEqual(model);
      }),
    );
  });
});
