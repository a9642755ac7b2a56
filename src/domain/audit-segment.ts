import type { AuditSegment, NewAuditEntry } from './audit.js';

/** At most this many entries in a segment: a store numbers entries within a segment below it. */
export const MAX_SEGMENT_ENTRIES = 10_000;

/** Every entry has these, in this order; `detail`'s keys vary and are named by the row's shape. */
const TOP_FIELDS = ['kind', 'subject', 'address', 'projects', 'repositories', 'outcome'] as const;
/** Row items below 0: null, "the next inline string", and (starting a row) "the last full row again". */
const NULL = -1;
const INLINE = -2;
const REPEAT = -3;
/** Detail values unique to their entry (the token's id, the registry's event id): not worth a dictionary entry. */
const INLINE_DETAIL_KEYS: ReadonlySet<string> = new Set(['jti', 'eventId']);
/** Inline strings are joined into one string this many at a time, while they are still young. */
const INLINE_CHUNK = 256;
type SummarisedField = 'kind' | 'subject' | 'outcome' | 'projects' | 'repositories';

/**
 * Format 2: `{"v":2,"t0":ms,"values":[...],"inline":"...","inlineLengths":[...],"rows":[...]}`.
 * Each distinct value (a string, an array, a detail's key list) is stored once in `values`. An
 * entry is a run of numbers in `rows`: its detail's key list, its time as ms after t0, then each
 * field: an index into `values`, -1 for null, or -2 for the next of the inline strings (values
 * no other entry has, such as a token's jti), which are `inline` cut at `inlineLengths`. An entry
 * equal to the last full row but for its time and inline strings is just -3 and its time. Entries
 * of one segment repeat nearly everything but their time and jti, so this is a fraction of the
 * JSON of the entries.
 */
interface EncodedV2 {
  v: 2;
  t0: number;
  values: unknown[];
  inline: string;
  inlineLengths: number[];
  rows: number[];
}

/** The same value for the dictionary: the same thing, or arrays of the same strings. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string' || a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds a segment entry by entry, on the token hot path, so `add` keeps as little as it can for
 * the garbage collector: the entry's objects die young, a row is numbers in a typed array (off the
 * heap), and the few strings unique to an entry are joined a chunk at a time. What survives to
 * the old generation per segment is a handful of objects, not several per entry.
 */
export class AuditSegmentBuilder {
  readonly #values: unknown[] = [];
  readonly #strings = new Map<string, number>();
  /** Arrays of strings by their items' indexes; other non-string values by their JSON. */
  readonly #stringArrays = new Map<string, number>();
  readonly #others = new Map<string, number>();
  #rows = new Float64Array(1_024);
  #rowsLength = 0;
  /** Inline strings not yet joined, the joined chunks, and every inline string's length. */
  #inlinePending: string[] = [];
  readonly #inlineChunks: string[] = [];
  readonly #inlineLengths: number[] = [];
  /** The value last seen at each place in a row, and its index. */
  readonly #lastValues: unknown[] = [];
  readonly #lastIndexes: number[] = [];
  #count = 0;
  /** How many inline strings the last full row (not a repeat) has. */
  #lastFullRowInlines = 0;
  #sealed: AuditSegment | undefined;
  #t0 = 0;
  #first = 0;
  #last = 0;
  readonly #summary = {
    kinds: new Set<string>(),
    subjects: new Set<string>(),
    outcomes: new Set<string>(),
    projects: new Set<string>(),
    repositories: new Set<string>(),
  };
  /** Indexes already summarised, per field: a value seen before adds nothing to the summary. */
  readonly #summarised: Record<SummarisedField, Set<number>> = {
    kind: new Set(),
    subject: new Set(),
    outcome: new Set(),
    projects: new Set(),
    repositories: new Set(),
  };

  get size(): number {
    return this.#count;
  }

  /** Encodes the entry into the segment; throws, leaving the segment as it was, if it cannot. */
  add(entry: NewAuditEntry): void {
    if (this.#sealed) throw new Error('this audit segment is sealed');
    if (this.#count >= MAX_SEGMENT_ENTRIES) throw new RangeError(`an audit segment holds at most ${MAX_SEGMENT_ENTRIES} entries`);
    const at = entry.at.getTime();
    const start = this.#rowsLength;
    const pending = this.#inlinePending.length;
    try {
      const detail = entry.detail as unknown as Record<string, unknown>;
      const keys = Object.keys(detail);
      this.#push(this.#slot(0, keys));
      this.#push(this.#count === 0 ? 0 : at - this.#t0);
      for (let i = 0; i < TOP_FIELDS.length; i++) this.#push(this.#slot(2 + i, entry[TOP_FIELDS[i] as (typeof TOP_FIELDS)[number]]));
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const value = detail[key];
        if (typeof value === 'string' && INLINE_DETAIL_KEYS.has(key)) {
          this.#inlinePending.push(value);
          this.#push(INLINE);
        } else this.#push(this.#slot(8 + i, value));
      }
    } catch (err) {
      this.#rowsLength = start;
      this.#inlinePending.length = pending;
      throw err;
    }
    this.#lastFullRowInlines = this.#inlinePending.length - pending;
    this.#counted(at);
    // The row's places 2 to 7 are TOP_FIELDS: kind, subject, address, projects, repositories, outcome.
    const rows = this.#rows;
    this.#summarise('kind', rows[start + 2] as number, entry.kind);
    this.#summarise('subject', rows[start + 3] as number, entry.subject);
    this.#summarise('projects', rows[start + 5] as number, entry.projects);
    this.#summarise('repositories', rows[start + 6] as number, entry.repositories);
    this.#summarise('outcome', rows[start + 7] as number, entry.outcome);
  }

  /**
   * Adds an entry equal to the last one but for its time and its inline strings, in order; false
   * (nothing added) when there is no last entry or it has another number of inline strings.
   */
  repeatLast(at: Date, inline: readonly string[]): boolean {
    if (this.#sealed || this.#count === 0 || this.#count >= MAX_SEGMENT_ENTRIES || inline.length !== this.#lastFullRowInlines) return false;
    const ms = at.getTime();
    // Repeats refer to the last full row, which is the last entry or what the last entry repeated.
    this.#push(REPEAT);
    this.#push(ms - this.#t0);
    for (const value of inline) this.#inlinePending.push(value);
    this.#counted(ms);
    return true;
  }

  /** The segment; once sealed, it takes no more entries and is encoded only once. */
  seal(): AuditSegment {
    if (this.#sealed) return this.#sealed;
    this.#joinInline();
    const s = this.#summary;
    // Written out by hand: the rows are a typed array, whose JSON would be an object.
    const body =
      `{"v":2,"t0":${this.#t0},"values":${JSON.stringify(this.#values)},"inline":${JSON.stringify(this.#inlineChunks.join(''))},` +
      `"inlineLengths":[${this.#inlineLengths.join(',')}],"rows":[${this.#rows.subarray(0, this.#rowsLength).join(',')}]}`;
    this.#sealed = {
      firstAt: new Date(this.#first),
      lastAt: new Date(this.#last),
      entries: this.#count,
      kinds: [...s.kinds],
      subjects: [...s.subjects],
      outcomes: [...s.outcomes],
      projects: [...s.projects],
      repositories: [...s.repositories],
      body,
    };
    return this.#sealed;
  }

  /** Bookkeeping once an entry's row is complete. */
  #counted(at: number): void {
    if (this.#count === 0) {
      this.#t0 = at;
      this.#first = at;
      this.#last = at;
    } else if (at < this.#first) this.#first = at;
    else if (at > this.#last) this.#last = at;
    this.#count++;
    if (this.#inlinePending.length >= INLINE_CHUNK) this.#joinInline();
  }

  #push(item: number): void {
    if (this.#rowsLength === this.#rows.length) {
      const grown = new Float64Array(this.#rows.length * 2);
      grown.set(this.#rows);
      this.#rows = grown;
    }
    this.#rows[this.#rowsLength++] = item;
  }

  #joinInline(): void {
    if (this.#inlinePending.length === 0) return;
    for (const value of this.#inlinePending) this.#inlineLengths.push(value.length);
    this.#inlineChunks.push(this.#inlinePending.join(''));
    this.#inlinePending = [];
  }

  /**
   * The index of the value at this place in the row. Consecutive entries mostly repeat the one
   * before at each place (the same client asking again), so that is compared first: cheaper
   * than hashing the value into the dictionary.
   */
  #slot(place: number, value: unknown): number {
    const last = this.#lastValues[place];
    if (last !== undefined && sameValue(last, value)) return this.#lastIndexes[place] as number;
    const index = this.#intern(value);
    this.#lastValues[place] = value;
    this.#lastIndexes[place] = index;
    return index;
  }

  #intern(value: unknown): number {
    if (value === null || value === undefined) return NULL;
    if (typeof value === 'string') return this.#internString(value);
    if (Array.isArray(value)) return this.#internArray(value);
    return this.#internByKey(this.#others, JSON.stringify(value), value);
  }

  #internString(value: string): number {
    let index = this.#strings.get(value);
    if (index === undefined) {
      index = this.#values.push(value) - 1;
      this.#strings.set(value, index);
    }
    return index;
  }

  /** An array of strings by its items' indexes: cheaper than its JSON, and as unambiguous. */
  #internArray(items: readonly unknown[]): number {
    let key = '';
    for (const item of items) {
      if (typeof item !== 'string') return this.#internByKey(this.#others, JSON.stringify(items), items);
      key += `${this.#internString(item)},`;
    }
    return this.#internByKey(this.#stringArrays, key, items);
  }

  #internByKey(map: Map<string, number>, key: string, value: unknown): number {
    let index = map.get(key);
    if (index === undefined) {
      index = this.#values.push(value) - 1;
      map.set(key, index);
    }
    return index;
  }

  #summarise(field: SummarisedField, index: number, value: unknown): void {
    const seen = this.#summarised[field];
    if (seen.has(index)) return;
    seen.add(index);
    const s = this.#summary;
    if (field === 'kind') s.kinds.add(value as string);
    else if (field === 'subject') s.subjects.add((value as string | null) ?? '');
    else if (field === 'outcome') s.outcomes.add(value as string);
    else for (const item of value as string[]) s[field].add(item);
  }
}

/** One segment from its entries (tests, and callers that hold a whole batch). */
export function segmentOf(entries: readonly NewAuditEntry[]): AuditSegment {
  const builder = new AuditSegmentBuilder();
  for (const e of entries) builder.add(e);
  return builder.seal();
}

type StoredV1 = Omit<NewAuditEntry, 'at'> & { at: string };

/**
 * The entries of a segment body, in the order they were added. Reads format 2 and format 1 (the
 * plain JSON array of entries written before format 2). Decoded entries of one segment share
 * their arrays and objects: read them, do not change them.
 */
export function decodeSegment(body: string): NewAuditEntry[] {
  const parsed = JSON.parse(body) as StoredV1[] | EncodedV2;
  if (Array.isArray(parsed)) return parsed.map((s) => ({ ...s, at: new Date(s.at) }) as NewAuditEntry);
  if (parsed.v !== 2) throw new Error(`unknown audit segment format ${String(parsed.v)}`);
  const { t0, values, inline, inlineLengths, rows } = parsed;
  let inlineAt = 0;
  let inlineIndex = 0;
  const value = (item: number | undefined): unknown => {
    if (item === INLINE) {
      const length = inlineLengths[inlineIndex++] as number;
      inlineAt += length;
      return inline.slice(inlineAt - length, inlineAt);
    }
    return item === undefined || item === NULL ? null : values[item];
  };
  const out: NewAuditEntry[] = [];
  let full: { keys: string[]; items: number[] } | undefined;
  let i = 0;
  while (i < rows.length) {
    const head = rows[i++] as number;
    const at = new Date(t0 + (rows[i++] as number));
    if (head !== REPEAT) {
      const keys = value(head) as string[];
      full = { keys, items: rows.slice(i, i + TOP_FIELDS.length + keys.length) };
      i += full.items.length;
    }
    if (!full) throw new Error('audit segment repeats a row before any');
    const { keys, items } = full;
    const entry: Record<string, unknown> = { at };
    TOP_FIELDS.forEach((field, k) => {
      entry[field] = value(items[k]);
    });
    // fromEntries defines own properties, even one named __proto__, as JSON.parse did.
    entry.detail = Object.fromEntries(keys.map((key, k) => [key, value(items[TOP_FIELDS.length + k])]));
    out.push(entry as unknown as NewAuditEntry);
  }
  return out;
}
