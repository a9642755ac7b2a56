/**
 * Outbound network for a process in its own network namespace, without touching the host's
 * interfaces, routes or firewall: slirp4netns (what rootless podman uses) puts a tap0 device in
 * the namespace and relays its traffic through ordinary sockets of the host. The host's loopback
 * stays out of reach (--disable-host-loopback).
 */
import { readlink } from 'node:fs/promises';
import { pollUntil, startDaemon, type Daemon } from './proc.js';

/**
 * `pid` must be about to leave (or have left) the caller's network namespace, as `unshare -n`
 * does; slirp4netns is started only once it has, since attaching to the caller's own namespace
 * would configure the host.
 */
export async function attachSlirp(pid: number, exited: Promise<void>): Promise<Daemon> {
  const own = await readlink('/proc/self/ns/net');
  const netnsOf = () => readlink(`/proc/${pid}/ns/net`).catch(() => own);
  await pollUntil(async () => (await netnsOf()) !== own, exited, 'network namespace', 10_000, 20);
  return startDaemon('slirp4netns', ['--configure', '--mtu=65520', '--disable-host-loopback', String(pid), 'tap0']);
}
