/**
 * Builds a tiny single-layer OCI image layout in a temp dir with pure Node, so e2e tests need no
 * network or base image. The layer holds one random file, so every image (and every manifest
 * digest) is unique: a pull can't be satisfied by an earlier test's blobs or a cached image.
 *
 * Transports: skopeo/podman read `oci:DIR:TAG` (see `ociRef`), ctr imports the tar from
 * `archive()`, docker loads `dockerArchive(name)`.
 *
 * Digest caveat: docker re-pushes OCI images as schema2, so `manifestDigest` is the digest of
 * the layout's own manifest, not necessarily what a client pushes. Tests compare the digest a
 * client reports after push with the one it reports after pulling back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from './proc.js';
import { tar, type TarEntry } from './tar.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface OciImage {
  /** The OCI image layout directory. */
  dir: string;
  /** The tag inside the layout (`org.opencontainers.image.ref.name`). */
  tag: string;
  /** `oci:DIR:TAG`, the containers-transports name skopeo and podman read. */
  ociRef: string;
  /** sha256 digest of the layout's manifest, as built. */
  manifestDigest: string;
  /** Writes (once) and returns the path of a tar of the layout, for `ctr images import`. */
  archive(): Promise<string>;
  /**
   * Writes a docker-archive (`docker save` format) tagged `repoTag`, for `docker load`: dockerd
   * 20.10 cannot load an OCI layout tar.
   */
  dockerArchive(repoTag: string): Promise<string>;
  remove(): Promise<void>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function makeOciImage(opts: { tag?: string } = {}): Promise<OciImage> {
  const tag = opts.tag ?? 'latest';
  const tmp = await tempDir('image');
  const dir = join(tmp.path, 'layout');

  const layerTar = tar([{ name: 'portcullis-random.txt', data: Buffer.from(randomBytes(16).toString('hex') + '\n') }]);
  // Fixed gzip header (no mtime/name) so the layer digest depends only on the content.
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/portcullis-random.txt'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      history: [{ created_by: 'portcullis e2e harness' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha256(layer), size: layer.length }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(manifest),
          size: manifest.length,
          // amd64/linux matches the config; ctr import filters by platform and would drop an unknown one.
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const blobs = [layer, config, manifest];
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of blobs) await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  await writeFile(join(dir, 'index.json'), index);
  await writeFile(join(dir, 'oci-layout'), layout);

  let archivePath: string | undefined;
  let n = 0;
  return {
    dir,
    tag,
    ociRef: `oci:${dir}:${tag}`,
    manifestDigest: sha256(manifest),
    async archive() {
      if (archivePath) return archivePath;
      const entries: TarEntry[] = [
        { name: 'oci-layout', data: layout },
        { name: 'index.json', data: index },
        { name: 'blobs/' },
        { name: 'blobs/sha256/' },
        ...blobs.map((b) => ({ name: `blobs/sha256/${sha256(b).slice(7)}`, data: b })),
      ];
      archivePath = join(tmp.path, 'image.oci.tar');
      await writeFile(archivePath, tar(entries));
      return archivePath;
    },
    async dockerArchive(repoTag) {
      const layerName = `${sha256(layerTar).slice(7)}/layer.tar`;
      const configName = `${sha256(config).slice(7)}.json`;
      const manifestJson = JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: [layerName] }]);
      const path = join(tmp.path, `docker-${++n}.tar`);
      await writeFile(
        path,
        tar([
          { name: 'manifest.json', data: Buffer.from(manifestJson) },
          { name: configName, data: config },
          { name: `${sha256(layerTar).slice(7)}/` },
          { name: layerName, data: layerTar },
        ]),
      );
      return path;
    },
    remove: tmp.remove,
  };
}
