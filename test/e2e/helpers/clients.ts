import type { RegistryClient } from '../../harness/clients/common.js';
import { ctrClient, startContainerd } from '../../harness/clients/ctr.js';
import { dockerClient, startDockerd, type DockerClient } from '../../harness/clients/docker.js';
import { podmanClient } from '../../harness/clients/podman.js';
import { skopeoClient } from '../../harness/clients/skopeo.js';

export interface StartedClient {
  client: RegistryClient;
  docker?: DockerClient;
  stop(): Promise<void>;
}

/** Every real client, with the binaries it needs (checked, never skipped) and how to start it. */
export const CLIENTS: { name: RegistryClient['name']; bins: string[]; start(): Promise<StartedClient> }[] = [
  {
    name: 'skopeo',
    bins: ['skopeo'],
    start: async () => {
      const c = await skopeoClient();
      return { client: c, stop: c.stop };
    },
  },
  {
    name: 'podman',
    bins: ['podman'],
    start: async () => {
      const c = await podmanClient();
      return { client: c, stop: c.stop };
    },
  },
  {
    name: 'docker',
    bins: ['dockerd', 'containerd', 'unshare'],
    start: async () => {
      const d = await startDockerd();
      const c = await dockerClient(d);
      return {
        client: c,
        docker: c,
        stop: async () => {
          await c.stop();
          await d.stop();
        },
      };
    },
  },
  {
    name: 'ctr',
    bins: ['containerd', 'ctr'],
    start: async () => {
      const d = await startContainerd();
      const c = await ctrClient(d);
      return {
        client: c,
        stop: async () => {
          await c.stop();
          await d.stop();
        },
      };
    },
  },
];
