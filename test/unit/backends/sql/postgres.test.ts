/** A PostgreSQL error is either the caller's data (400) or the database being unable to serve (503). */
import { describe, expect, it } from 'vitest';
import { classifyPgError } from '../../../../src/backends/sql/postgres.js';

describe('classifyPgError', () => {
  it('maps PostgreSQL data exceptions (class 22) to INVALID_REQUEST and keeps outages as BACKEND_UNAVAILABLE', () => {
    expect((classifyPgError(Object.assign(new Error('invalid byte sequence'), { code: '22021' })) as { code: string }).code).toBe('INVALID_REQUEST');
    expect((classifyPgError(Object.assign(new Error('terminating connection'), { code: '57P01' })) as { code: string }).code).toBe('BACKEND_UNAVAILABLE');
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(classifyPgError(unique)).toBe(unique);
  });
});
