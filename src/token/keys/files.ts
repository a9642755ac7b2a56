/**
 * The keys directory (`token.keysDir`). Each slot is a private key and its certificate chain:
 *
 *   token.key / token.crt        the current key: tokens are signed with it (unchanged since the
 *                                single-key layout, so an existing directory keeps working)
 *   next.key / next.crt          made by `keys rotate`: published at once, signs nothing yet
 *   previous.key / previous.crt  the key `keys promote` replaced: published until `keys retire`
 *   bundle.pem                   every published certificate: what the registry's
 *                                rootcertbundle names
 *   rotation.json                when the last rotate and promote happened (retire waits on it)
 */
export type Slot = 'current' | 'next' | 'previous';

export const SLOTS: readonly Slot[] = ['current', 'next', 'previous'];

export const SLOT_FILES: Record<Slot, { key: string; cert: string }> = {
  current: { key: 'token.key', cert: 'token.crt' },
  next: { key: 'next.key', cert: 'next.crt' },
  previous: { key: 'previous.key', cert: 'previous.crt' },
};

export const KEY_FILE = SLOT_FILES.current.key;
export const CERT_FILE = SLOT_FILES.current.cert;
export const BUNDLE_FILE = 'bundle.pem';
export const ROTATION_FILE = 'rotation.json';
