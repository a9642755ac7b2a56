import { expect } from 'vitest';
import type { SkopeoClient } from '../../harness/clients/skopeo.js';
import type { OciImage } from '../../harness/image.js';
import type { Registry } from '../../harness/registry.js';
import { ADMIN } from '../../fixtures/accounts.js';

/** The admin pushes `ref` with skopeo and an anonymous pull (public `library`) gets the same digest back. */
export async function expectAdminPushAnonymousPull(skopeo: SkopeoClient, image: OciImage, registry: Registry, ref: string): Promise<void> {
  const pushed = await skopeo.push(image, ref, { creds: ADMIN });
  expect(pushed.code, pushed.stderr + registry.logs().slice(-1500)).toBe(0);
  const pulled = await skopeo.pull(ref, { creds: 'anonymous' });
  expect(pulled.code, pulled.stderr).toBe(0);
  expect(pulled.digest).toBe(pushed.digest);
}
