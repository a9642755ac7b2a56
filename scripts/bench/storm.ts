import type { StormFigures } from './figures.js';
import { runLoad } from './load.js';
import { ALICE, basic, TOKEN_PATH } from './seed.js';
import type { Target } from './target.js';
import { hitLoad, loadFigures } from './throughput.js';

export interface StormSettings {
  seconds: number;
  hitConnections: number;
  stormConnections: number;
}

/**
 * Cache hits while other connections send alice with a wrong password non-stop: each of those
 * costs a bcrypt, which the cache cannot spare. Both loads run in this process, as one client
 * machine would send them.
 */
export async function measureStorm(target: Target, s: StormSettings, unloadedTokensPerSec: number): Promise<StormFigures> {
  const [hits, storm] = await Promise.all([
    hitLoad(target, s.hitConnections, s.seconds),
    runLoad({ url: target.url + TOKEN_PATH, authorization: basic(ALICE.username, 'not-the-password'), connections: s.stormConnections, seconds: s.seconds }),
  ]);
  const { '401': status401 = 0, '503': status503 = 0, ...other } = storm.statuses;
  return {
    seconds: s.seconds,
    hitConnections: s.hitConnections,
    stormConnections: s.stormConnections,
    hits: { ...loadFigures(hits), non200: hits.non200, errors: hits.errors },
    ratioToUnloaded: hits.tokensPerSec / unloadedTokensPerSec,
    wrongPasswords: { total: status401 + status503 + Object.values(other).reduce((a, b) => a + b, 0), status401, status503, other, errors: storm.errors },
  };
}
