import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../domain/logger.js';
import type { KeyRing } from './ring.js';

/**
 * Reloads the ring when anything in the keys directory changes, once the changes have been
 * quiet for `debounceMs`: a rotation step writes several files, and the service should read
 * the directory after the last of them. Returns the function that stops watching.
 */
export function watchKeysDir(ring: KeyRing, dir: string, logger?: Logger, debounceMs = 250): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void ring.reload('keys directory changed'), debounceMs);
    });
  } catch (err) {
    logger?.error({ dir, reason: (err as Error).message }, 'cannot watch the keys directory: send SIGHUP to reload keys');
    return () => undefined;
  }
  watcher.on('error', (err) => logger?.error({ dir, reason: err.message }, 'watching the keys directory failed: send SIGHUP to reload keys'));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
