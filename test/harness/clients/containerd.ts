/**
 * A private containerd 1.6 for ctr and for dockerd. It runs inside `unshare -m` with a tmpfs on
 * /run (shim sockets and whatever else it puts there die with the namespace); root, state, opt
 * and the gRPC socket live in a temp dir. CRI and the snapshotters that need kernel support are
 * disabled, which is what makes start-up fast (~0.1 s).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, run, startDaemon, tempDir } from '../proc.js';

export interface Containerd {
  address: string;
  /** The mount namespace containerd runs in; a dockerd that runs containers must share it. */
  mountNamespace: string;
  logs(): string;
  startupMs: number;
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<Containerd> {
  const tmp = await tempDir('containerd');
  const d = (p: string) => join(tmp.path, p);
  const address = d('containerd.sock');
  const disabled = [
    'io.containerd.grpc.v1.cri',
    'io.containerd.snapshotter.v1.btrfs',
    'io.containerd.snapshotter.v1.zfs',
    'io.containerd.snapshotter.v1.aufs',
    'io.containerd.snapshotter.v1.devmapper',
    'io.containerd.tracing.processor.v1.otlp',
    'io.containerd.internal.v1.tracing',
  ];
  await writeFile(
    d('config.toml'),
    [
      'version = 2',
      `root = "${d('root')}"`,
      `state = "${d('state')}"`,
      `disabled_plugins = ${JSON.stringify(disabled)}`,
      `[grpc]\n  address = "${address}"`,
      `[ttrpc]\n  address = "${address}.ttrpc"`,
      // The opt plugin defaults to /opt/containerd on the host.
      `[plugins."io.containerd.internal.v1.opt"]\n  path = "${d('opt')}"`,
      '',
    ].join('\n'),
  );
  const t0 = Date.now();
  const daemon = startDaemon(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -n -t tmpfs -o mode=755 tmpfs /run && exec "$@"', 'sh', 'containerd', '--config', d('config.toml')],
    { killGroup: true, stopTimeoutMs: 5_000, keepBytes: 100_000 },
  );
  const stop = async () => {
    await daemon.stop();
    await tmp.remove();
  };
  try {
    // `ctr version` answering proves the gRPC services are registered, not just the socket bound.
    await pollUntil(async () => (await run('ctr', ['-a', address, 'version'], { timeoutMs: 5_000 })).code === 0, daemon.exited, 'containerd', 30_000, 100);
  } catch (err) {
    const out = daemon.output();
    await stop();
    throw new Error(`containerd did not start: ${(err as Error).message}\n${out}`);
  }
  // unshare and sh both exec, so the child's pid is containerd's.
  const mountNamespace = `/proc/${daemon.child.pid}/ns/mnt`;
  return { address, mountNamespace, logs: daemon.output, startupMs: Date.now() - t0, stop };
}
