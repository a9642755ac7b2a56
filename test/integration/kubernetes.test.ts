/**
 * deploy/kubernetes without a cluster: each layout rendered (test/helpers/kustomize.ts), every
 * object validated against the Kubernetes API schemas (kubernetes-models) and its field names
 * against the API's types (k8s-fields.ts), the references between objects checked, the
 * configuration loaded by Portcullis's own loader with the environment the pod gets, the
 * registry's settings run by the real registry, and the rendering compared with
 * `kubectl kustomize`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service as ServiceModel } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { CERT_FILE, KEY_FILE } from '../../src/token/keys/files.js';
import { opensslSelfSigned } from '../harness/openssl.js';
import { requireBinary, runOk } from '../harness/proc.js';
import { startRegistry } from '../harness/registry.js';
import { unknownFields } from '../helpers/k8s-fields.js';
import { checkManifests, type Container, containerEnv, type ExternalSecrets, isWorkload, type Service, type Workload } from '../helpers/k8s-checks.js';
import { type K8sObject, renderKustomization } from '../helpers/kustomize.js';
import { useTempDir } from '../helpers/temp.js';

const ROOT = 'deploy/kubernetes';
const LAYOUTS = { base: ROOT, embedded: `${ROOT}/overlays/embedded`, notifications: `${ROOT}/overlays/notifications` } as const;
const temp = useTempDir('kubernetes');

/** Values the test gives the Secrets the README has the admin create. */
const SECRET_VALUES: Record<string, Record<string, string>> = {
  'portcullis-database': { url: 'postgres://portcullis:pw@db.example.org:5432/portcullis' },
  'portcullis-admin': { password: 'first-admin-password' },
  'portcullis-events': { secret: 'events-bearer-secret' },
};

/** The Secrets the README tells the admin to create, and their keys, read from its commands. */
async function documentedSecrets(): Promise<ExternalSecrets> {
  const readme = await readFile('README.md', 'utf8');
  const secrets: Record<string, string[]> = {};
  for (const m of readme.matchAll(/create secret generic (\S+)((?:\s+\\?\s*--from-(?:file|literal)=\S+)+)/g)) {
    const keys = [...(m[2] as string).matchAll(/--from-(file|literal)=(\S+)/g)].map(([, how, arg]) =>
      how === 'file' ? basename(arg as string) : (arg as string).slice(0, (arg as string).indexOf('=')),
    );
    secrets[m[1] as string] = keys;
  }
  return secrets;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': ServiceModel,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** The object of that kind and name; a missing one fails the test that asked. */
function the<T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found as T;
}
const portcullisPods = (objects: K8sObject[]) => objects.filter(isWorkload).filter((w) => w.metadata.name === 'portcullis');
const portcullisPod = (objects: K8sObject[]): Workload => {
  const [w, ...others] = portcullisPods(objects);
  if (!w || others.length > 0) throw new Error('not exactly one Portcullis workload');
  return w;
};
function container(w: Workload, name: string): Container {
  const c = w.spec.template.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`${w.kind} ${w.metadata.name} has no container ${name}`);
  return c;
}
const mountOf = (w: Workload, c: Container, dir: string) => {
  const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
  return { mount, volume: w.spec.template.spec.volumes?.find((v) => v.name === mount?.name) };
};

/** The environment the image sets (the Dockerfile's last stage), under the pod's own. */
async function imageEnv(): Promise<Record<string, string>> {
  const stages = (await readFile('Dockerfile', 'utf8')).split(/^FROM /m);
  const env: Record<string, string> = {};
  for (const line of (stages[stages.length - 1] as string).split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  }
  return env;
}

/** Loads the configuration a Portcullis pod would run with: its ConfigMap file, image env and pod env. */
async function podConfig(objects: K8sObject[], w: Workload) {
  const c = container(w, 'portcullis');
  const env = { ...(await imageEnv()), ...containerEnv(objects, c, SECRET_VALUES) };
  const file = env.PORTCULLIS_CONFIG as string;
  const { volume } = mountOf(w, c, dirname(file));
  const data = the<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', volume?.configMap?.name ?? '').data;
  const text = data?.[basename(file)];
  if (text === undefined) throw new Error(`${file} is not in a mounted ConfigMap`);
  const local = join(temp().path, `${w.kind}-${basename(file)}`);
  await writeFile(local, text);
  return { config: await loadConfig(local, env), env };
}

describe.each(Object.entries(LAYOUTS))('deploy/kubernetes layout %s', (layout, dir) => {
  it('renders objects the Kubernetes API schemas accept', async () => {
    const objects = await renderKustomization(dir);
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} has no model here`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
      expect(o.metadata.namespace).toBe('portcullis');
    }
  });

  it('references only what exists, and every pod is hardened', async () => {
    const objects = await renderKustomization(dir);
    expect(checkManifests(objects, await documentedSecrets())).toEqual([]);
  });

  it('gives Portcullis a configuration its own loader accepts, keys from the Secret', async () => {
    const objects = await renderKustomization(dir);
    const w = portcullisPod(objects);
    const { config } = await podConfig(objects, w);
    const { volume } = mountOf(w, container(w, 'portcullis'), config.token.keysDir);
    expect(volume?.secret?.secretName).toBe('portcullis-signing-key');
    expect(volume?.secret?.items, 'token.key and token.crt both').toBeUndefined();
    expect((await documentedSecrets())['portcullis-signing-key']).toEqual(expect.arrayContaining([KEY_FILE, CERT_FILE]));
    const service = the<Service>(objects, 'Service', 'portcullis');
    expect(config.publicUrl).toBe(`http://portcullis.portcullis.svc:${service.spec.ports[0]?.port}`);
    if (layout === 'embedded') {
      expect(config.database.url).toBeUndefined();
      const data = mountOf(w, container(w, 'portcullis'), '/var/lib/portcullis');
      expect(w.spec.volumeClaimTemplates?.map((t) => t.metadata.name)).toContain(data.mount?.name);
      expect(config.dataDir.startsWith('/var/lib/portcullis/')).toBe(true);
    } else {
      expect(config.database.url).toBe(SECRET_VALUES['portcullis-database']?.url);
    }
  });

  it("points the registry's auth.token at the Portcullis Service, trusting the Secret's certificate", async () => {
    const objects = await renderKustomization(dir);
    const registry = the<Workload>(objects, 'Deployment', 'registry');
    const env = containerEnv(objects, container(registry, 'registry'), SECRET_VALUES);
    const { config } = await podConfig(objects, portcullisPod(objects));
    const service = the<Service>(objects, 'Service', 'portcullis');
    const realm = new URL(env.REGISTRY_AUTH_TOKEN_REALM as string);
    expect(realm.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(Number(realm.port)).toBe(service.spec.ports[0]?.port);
    expect(env.REGISTRY_AUTH_TOKEN_REALM).toBe(`${config.publicUrl}/token`);
    expect(env.REGISTRY_AUTH_TOKEN_SERVICE).toBe(config.token.service);
    expect(env.REGISTRY_AUTH_TOKEN_ISSUER).toBe(config.token.issuer);
    const bundle = env.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE as string;
    const { volume } = mountOf(registry, container(registry, 'registry'), dirname(bundle));
    expect(volume?.secret?.secretName).toBe('portcullis-signing-key');
    expect(volume?.secret?.items).toEqual([{ key: CERT_FILE, path: basename(bundle) }]);
  });
});

describe('deploy/kubernetes layouts side by side', () => {
  it('no object carries a field the Kubernetes API does not know', async () => {
    const all = (await Promise.all(Object.values(LAYOUTS).map((d) => renderKustomization(d)))).flat();
    expect(unknownFields(all)).toEqual([]);
  });

  it('the embedded store runs one replica on a volume, with no budget and no database Secret', async () => {
    const objects = await renderKustomization(LAYOUTS.embedded);
    const w = portcullisPod(objects);
    expect(w.kind).toBe('StatefulSet');
    expect(w.spec.replicas).toBe(1);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(JSON.stringify(objects)).not.toContain('portcullis-database');
  });

  it('PostgreSQL runs two replicas spread over nodes, a budget keeping one', async () => {
    const objects = await renderKustomization(LAYOUTS.base);
    const w = portcullisPod(objects);
    expect(w.kind).toBe('Deployment');
    expect(w.spec.replicas).toBe(2);
    expect(the(objects, 'PodDisruptionBudget', 'portcullis').spec).toMatchObject({ minAvailable: 1 });
    const spread = w.spec.template.spec.topologySpreadConstraints as { topologyKey: string; whenUnsatisfiable: string }[];
    expect(spread).toContainEqual(expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' }));
    const probes = container(w, 'portcullis');
    expect([probes.readinessProbe?.httpGet?.path, probes.livenessProbe?.httpGet?.path]).toEqual(['/readyz', '/healthz']);
  });

  it('both layouts run the same Portcullis image', async () => {
    const images = await Promise.all(
      [LAYOUTS.base, LAYOUTS.embedded].map(async (d) => container(portcullisPod(await renderKustomization(d)), 'portcullis').image),
    );
    expect(images[0]).toMatch(/\/portcullis:[\w.-]+$/);
    expect(images[1]).toBe(images[0]);
  });

  it('notifications reach Portcullis in the cluster, with the bearer secret both sides read from one Secret', async () => {
    const objects = await renderKustomization(LAYOUTS.notifications);
    const registry = the<Workload>(objects, 'Deployment', 'registry');
    const env = containerEnv(objects, container(registry, 'registry'), SECRET_VALUES);
    const [endpoint, ...more] = parse(env.REGISTRY_NOTIFICATIONS_ENDPOINTS as string) as { url: string; headers: Record<string, string[]> }[];
    expect(more).toEqual([]);
    const service = the<Service>(objects, 'Service', 'portcullis');
    const url = new URL(endpoint?.url as string);
    expect([url.hostname, Number(url.port), url.pathname]).toEqual([
      `${service.metadata.name}.${service.metadata.namespace}.svc`,
      service.spec.ports[0]?.port,
      '/events',
    ]);
    const secret = SECRET_VALUES['portcullis-events']?.secret;
    expect(endpoint?.headers).toEqual({ Authorization: [`Bearer ${secret}`] });
    const { env: podEnv } = await podConfig(objects, portcullisPod(objects));
    // audit.events.secret is being added to the loader in parallel: only the value is checked here.
    expect(podEnv.PORTCULLIS_EVENTS_SECRET).toBe(secret);
  });
});

describe('the checks catch broken manifests', () => {
  const pod = (o: K8sObject[], name: string) => the<Workload>(o, 'Deployment', name).spec.template.spec;
  const broken: [string, (objects: K8sObject[]) => void, RegExp][] = [
    [
      'a Service selector that matches no pods',
      (o) => (the<Service>(o, 'Service', 'portcullis').spec.selector = { app: 'nope' }),
      /Service portcullis selects no pod template/,
    ],
    [
      'a probe on a port the container does not open',
      (o) => (container(portcullisPod(o), 'portcullis').ports = [{ name: 'web', containerPort: 5001 }]),
      /readinessProbe of portcullis uses port http/,
    ],
    [
      'a volume from a Secret nobody creates',
      (o) =>
        (pod(o, 'registry').volumes = [
          { name: 'portcullis-bundle', secret: { secretName: 'typo' } },
          { name: 'storage', emptyDir: {} },
        ]),
      /Secret typo, which is neither rendered nor documented/,
    ],
    [
      'a budget that selects nothing',
      (o) => Object.assign(the(o, 'PodDisruptionBudget', 'portcullis').spec as object, { selector: { matchLabels: { app: 'x' } } }),
      /PodDisruptionBudget portcullis selects no pod template/,
    ],
    ['a writable root filesystem', (o) => (container(portcullisPod(o), 'portcullis').securityContext = {}), /writable root filesystem/],
    ['a mounted service-account token', (o) => delete pod(o, 'portcullis').automountServiceAccountToken, /mounts a service-account token/],
  ];
  it('a misspelt field, which the schema validators let through', async () => {
    const objects = await renderKustomization(LAYOUTS.base);
    Object.assign(container(portcullisPod(objects), 'portcullis'), { readinesProbe: { httpGet: { path: '/readyz', port: 'http' } } });
    expect(() => new Deployment(portcullisPod(objects) as never).validate()).not.toThrow();
    expect(unknownFields(objects).join('\n')).toMatch(/Deployment portcullis: .*'"readinesProbe"' does not exist in type 'IContainer'/);
  });

  it.each(broken)('%s', async (_what, mutate, expected) => {
    const objects = await renderKustomization(LAYOUTS.base);
    mutate(objects);
    expect(checkManifests(objects, await documentedSecrets()).join('\n')).toMatch(expected);
  });
});

describe('deploy/kubernetes run by real programs', () => {
  it('kubectl kustomize renders every layout as the test renderer does', async () => {
    await requireBinary('kubectl');
    // kubectl 1.20 and older (Debian 12's kubernetes-client) embed kustomize v2 and print no version of it.
    const legacyHash = !/Kustomize Version: v\d/.test((await runOk('kubectl', ['version', '--client'])).stdout);
    const byName = (objects: unknown[]) => Object.fromEntries((objects as K8sObject[]).map((o) => [`${o.kind} ${o.metadata.namespace}/${o.metadata.name}`, o]));
    for (const dir of [ROOT, `${ROOT}/base`, LAYOUTS.embedded, LAYOUTS.notifications]) {
      const theirs = parseAllDocuments((await runOk('kubectl', ['kustomize', dir])).stdout).map((d) => d.toJS());
      const ours = JSON.parse(JSON.stringify(await renderKustomization(dir, { legacyHash })));
      expect(byName(ours), dir).toEqual(byName(theirs));
    }
  });

  it("the real registry takes the rendered auth.token and notifications settings and sends clients to Portcullis's Service", async () => {
    await requireBinary('docker-registry');
    const objects = await renderKustomization(LAYOUTS.notifications);
    const registry = the<Workload>(objects, 'Deployment', 'registry');
    const env = containerEnv(objects, container(registry, 'registry'), SECRET_VALUES);
    const bundle = join(temp().path, 'bundle.pem');
    await opensslSelfSigned({ keyFile: join(temp().path, 'token.key'), certFile: bundle, subject: '/CN=portcullis', days: 1 });
    const settings = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('REGISTRY_')));
    const running = await startRegistry({
      realm: '',
      service: '',
      issuer: '',
      rootCertBundle: bundle,
      authEnv: { ...settings, REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: bundle },
    });
    try {
      const res = await fetch(`${running.url}/v2/`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${env.REGISTRY_AUTH_TOKEN_REALM}",service="${env.REGISTRY_AUTH_TOKEN_SERVICE}"`);
      expect(running.logs()).toContain('configuring endpoint portcullis (http://portcullis.portcullis.svc:5001/events)');
    } finally {
      await running.stop();
    }
  });
});
