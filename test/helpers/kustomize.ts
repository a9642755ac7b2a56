/**
 * A kustomize renderer for deploy/kubernetes, so its tests need no kubectl. It implements only
 * what those kustomizations use, and throws on any other field rather than ignore it:
 * - `resources` (files) and `bases` (directories), rendered depth first;
 * - `namespace`, set on every object (all of ours are namespaced);
 * - `configMapGenerator` with `files` and `literals`, names suffixed with kustomize's content
 *   hash and every reference from a pod template renamed to match;
 * - `patchesStrategicMerge` on the objects it names (see strategic-merge.ts);
 * - `images`: `newName` and `newTag`.
 * Where kubectl is installed, test/integration/kubernetes.test.ts checks that it renders the same.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { type K8sObject, strategicMerge } from './strategic-merge.js';

export type { K8sObject } from './strategic-merge.js';

interface Kustomization {
  namespace?: string;
  bases?: string[];
  resources?: string[];
  configMapGenerator?: { name: string; files?: string[]; literals?: string[] }[];
  patchesStrategicMerge?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const KNOWN = new Set(['namespace', 'bases', 'resources', 'configMapGenerator', 'patchesStrategicMerge', 'images']);

export interface RenderOptions {
  /**
   * Kustomize v2 (kubectl 1.20 and older, Debian 12's kubernetes-client) hashes a generated
   * ConfigMap with its name; current kustomize hashes it with an empty name.
   */
  legacyHash?: boolean;
}

/** Renders the kustomization in `dir` as `kubectl kustomize dir` would. */
export async function renderKustomization(dir: string, opts: RenderOptions = {}): Promise<K8sObject[]> {
  const objects = await renderLevel(dir);
  return applyHashSuffixes(objects, opts);
}

/** A generated ConfigMap remembers its name without the hash until the top level is done. */
const GENERATED = Symbol('generated');
type Generated = K8sObject & { [GENERATED]?: true };

async function renderLevel(dir: string): Promise<Generated[]> {
  const k = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new Error(`${dir}/kustomization.yaml: the test renderer does not implement ${unknown.join(', ')}`);
  let objects: Generated[] = [];
  for (const base of k.bases ?? []) objects.push(...(await renderLevel(join(dir, base))));
  for (const file of k.resources ?? []) objects.push(...(await readObjects(join(dir, file))));
  for (const gen of k.configMapGenerator ?? []) objects.push(await generateConfigMap(dir, gen));
  for (const file of k.patchesStrategicMerge ?? []) {
    for (const patch of await readObjects(join(dir, file))) objects = applyPatch(objects, patch, `${dir}/${file}`);
  }
  if (k.namespace) for (const o of objects) o.metadata.namespace = k.namespace;
  for (const image of k.images ?? []) for (const o of objects) setImage(o, image);
  return objects;
}

async function readObjects(file: string): Promise<K8sObject[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  return docs.map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

async function generateConfigMap(dir: string, gen: NonNullable<Kustomization['configMapGenerator']>[number]): Promise<Generated> {
  const data: Record<string, string> = {};
  for (const file of gen.files ?? []) data[basename(file)] = await readFile(join(dir, file), 'utf8');
  for (const literal of gen.literals ?? []) {
    const eq = literal.indexOf('=');
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data, [GENERATED]: true };
}

function applyPatch(objects: Generated[], patch: K8sObject, source: string): Generated[] {
  const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
  if (!target) throw new Error(`${source}: no ${patch.kind} ${patch.metadata.name} to patch`);
  return objects.map((o) => (o === target ? Object.assign(strategicMerge(o, patch) as Generated, { [GENERATED]: target[GENERATED] }) : o));
}

function podSpecOf(o: K8sObject): Record<string, unknown> | undefined {
  const spec = o.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec;
}

type Container = { image?: string; env?: { valueFrom?: { configMapKeyRef?: { name: string } } }[] };
function containersOf(o: K8sObject): Container[] {
  const pod = podSpecOf(o);
  return [...((pod?.initContainers as Container[]) ?? []), ...((pod?.containers as Container[]) ?? [])];
}

function setImage(o: K8sObject, image: NonNullable<Kustomization['images']>[number]): void {
  for (const c of containersOf(o)) {
    if (!c.image) continue;
    const [name, tag] = splitImage(c.image);
    if (name !== image.name) continue;
    const newTag = image.newTag ?? tag;
    c.image = `${image.newName ?? name}${newTag ? `:${newTag}` : ''}`;
  }
}

/** `host:5000/a/b:tag` -> [`host:5000/a/b`, `tag`]: a tag's colon comes after the last slash. */
function splitImage(image: string): [string, string | undefined] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

/** kustomize's suffix: the first 10 hex digits of a SHA-256, with 0 1 3 a e swapped for g h k m t. */
export function kustomizeHash(kind: 'ConfigMap', name: string, data: Record<string, string>): string {
  // Go's encoding/json sorts map keys and escapes <, > and & (and U+2028/9); the hash is of that.
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
  const json = JSON.stringify({ data: sorted, kind, name }).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const hex = createHash('sha256').update(json).digest('hex').slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c] as string);
}

function applyHashSuffixes(objects: Generated[], opts: RenderOptions): K8sObject[] {
  const renamed = new Map<string, string>();
  for (const o of objects) {
    if (!o[GENERATED]) continue;
    const name = o.metadata.name;
    const hashed = `${name}-${kustomizeHash('ConfigMap', opts.legacyHash ? name : '', o.data as Record<string, string>)}`;
    renamed.set(`${o.metadata.namespace}/${name}`, hashed);
    o.metadata.name = hashed;
  }
  const rename = (ns: string | undefined, ref: { name: string } | undefined) => {
    const to = ref && renamed.get(`${ns}/${ref.name}`);
    if (ref && to) ref.name = to;
  };
  for (const o of objects) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    for (const v of (pod.volumes as { configMap?: { name: string } }[]) ?? []) rename(o.metadata.namespace, v.configMap);
    for (const c of containersOf(o)) for (const e of c.env ?? []) rename(o.metadata.namespace, e.valueFrom?.configMapKeyRef);
  }
  return objects.map(({ [GENERATED]: _, ...o }) => o as K8sObject);
}
