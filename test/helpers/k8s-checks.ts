/**
 * What the API server's schema cannot see in a rendered set of manifests: references between
 * objects (Services and budgets that select no pods, volumes and env from ConfigMaps or
 * Secrets that do not exist, probes on ports no container opens) and the hardening every pod
 * of ours promises. Each check returns problems as sentences, so a test can show them all.
 */
import type { K8sObject } from './strategic-merge.js';

/** Secrets the admin creates before applying (README, "Running on Kubernetes"), by their keys. */
export type ExternalSecrets = Record<string, readonly string[]>;

type Labels = Record<string, string>;
type Port = { name?: string; containerPort: number };
type Probe = { httpGet?: { path?: string; port: string | number }; tcpSocket?: { port: string | number } };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
};
type Mount = { name: string; mountPath: string };
export interface Container {
  name: string;
  image: string;
  ports?: Port[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
export interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
}
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  topologySpreadConstraints?: { labelSelector?: { matchLabels?: Labels } }[];
}
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Labels };
    template: { metadata: { labels: Labels }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
export interface Service extends K8sObject {
  spec: { selector?: Labels; ports: { name?: string; port: number; targetPort?: string | number }[] };
}

export const isWorkload = (o: K8sObject): o is Workload => o.kind === 'Deployment' || o.kind === 'StatefulSet';
const selects = (selector: Labels | undefined, labels: Labels) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const hasPort = (c: Container, port: string | number) => (c.ports ?? []).some((p) => p.name === port || p.containerPort === port);

export function checkManifests(objects: K8sObject[], external: ExternalSecrets): string[] {
  const workloads = objects.filter(isWorkload);
  return [
    ...objects.filter((o): o is Service => o.kind === 'Service').flatMap((s) => checkService(s, workloads)),
    ...objects.filter((o) => o.kind === 'PodDisruptionBudget').flatMap((b) => checkBudget(b, workloads)),
    ...workloads.flatMap((w) => [...checkWorkload(w, objects, external), ...checkHardening(w)]),
  ];
}

function checkService(s: Service, workloads: Workload[]): string[] {
  const name = `Service ${s.metadata.name}`;
  const backends = workloads.filter((w) => selects(s.spec.selector, w.spec.template.metadata.labels));
  if (backends.length === 0) return [`${name} selects no pod template`];
  return s.spec.ports.flatMap((p) => {
    const target = p.targetPort ?? p.port;
    return backends.every((w) => w.spec.template.spec.containers.some((c) => hasPort(c, target)))
      ? []
      : [`${name} port ${p.port} targets ${target}, which no container of its pods opens`];
  });
}

function checkBudget(b: K8sObject, workloads: Workload[]): string[] {
  const selector = (b.spec as { selector?: { matchLabels?: Labels } }).selector?.matchLabels;
  return workloads.some((w) => selects(selector, w.spec.template.metadata.labels)) ? [] : [`PodDisruptionBudget ${b.metadata.name} selects no pod template`];
}

function checkWorkload(w: Workload, objects: K8sObject[], external: ExternalSecrets): string[] {
  const name = `${w.kind} ${w.metadata.name}`;
  const pod = w.spec.template.spec;
  const problems: string[] = [];
  const labels = w.spec.template.metadata.labels;
  if (!selects(w.spec.selector.matchLabels, labels)) problems.push(`${name}: its selector does not match its pod template's labels`);
  for (const t of pod.topologySpreadConstraints ?? []) {
    if (!selects(t.labelSelector?.matchLabels, labels)) problems.push(`${name}: a topology spread constraint does not select its own pods`);
  }
  if (w.spec.serviceName && !objects.some((o) => o.kind === 'Service' && o.metadata.name === w.spec.serviceName)) {
    problems.push(`${name}: serviceName ${w.spec.serviceName} is no Service`);
  }
  const configMap = (ref: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref) as { data?: Record<string, string> } | undefined;
  const refProblem = (what: string, kind: 'ConfigMap' | 'Secret', ref: string, keys: string[]) => {
    const known = kind === 'ConfigMap' ? Object.keys(configMap(ref)?.data ?? {}) : external[ref];
    if (kind === 'ConfigMap' ? !configMap(ref) : !known) return [`${name}: ${what} names ${kind} ${ref}, which is neither rendered nor documented`];
    return keys.filter((k) => !known?.includes(k)).map((k) => `${name}: ${what} reads key ${k}, which ${kind} ${ref} does not hold`);
  };
  const volumeNames = new Set([...(pod.volumes ?? []).map((v) => v.name), ...(w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name)]);
  for (const v of pod.volumes ?? []) {
    if (v.configMap)
      problems.push(
        ...refProblem(
          `volume ${v.name}`,
          'ConfigMap',
          v.configMap.name,
          (v.configMap.items ?? []).map((i) => i.key),
        ),
      );
    if (v.secret)
      problems.push(
        ...refProblem(
          `volume ${v.name}`,
          'Secret',
          v.secret.secretName,
          (v.secret.items ?? []).map((i) => i.key),
        ),
      );
  }
  for (const c of pod.containers) {
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      const sec = e.valueFrom?.secretKeyRef;
      if (cm) problems.push(...refProblem(`env ${e.name}`, 'ConfigMap', cm.name, [cm.key]));
      if (sec) problems.push(...refProblem(`env ${e.name}`, 'Secret', sec.name, [sec.key]));
    }
    for (const m of c.volumeMounts ?? []) if (!volumeNames.has(m.name)) problems.push(`${name}: container ${c.name} mounts ${m.name}, which is no volume`);
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
      const port = c[kind]?.httpGet?.port ?? c[kind]?.tcpSocket?.port;
      if (port !== undefined && !hasPort(c, port)) problems.push(`${name}: ${kind} of ${c.name} uses port ${port}, which it does not open`);
    }
  }
  return problems;
}

/** Non-root, no service-account token, RuntimeDefault seccomp; per container a read-only root, no capabilities, no escalation, resources bounded. */
function checkHardening(w: Workload): string[] {
  const name = `${w.kind} ${w.metadata.name}`;
  const pod = w.spec.template.spec;
  const problems: string[] = [];
  if (pod.automountServiceAccountToken !== false) problems.push(`${name}: mounts a service-account token`);
  if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: may run as root`);
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${name}: no RuntimeDefault seccomp profile`);
  for (const c of pod.containers) {
    const sc = c.securityContext;
    if (sc?.readOnlyRootFilesystem !== true) problems.push(`${name}: container ${c.name} has a writable root filesystem`);
    if (sc?.allowPrivilegeEscalation !== false) problems.push(`${name}: container ${c.name} may escalate privileges`);
    if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${name}: container ${c.name} keeps Linux capabilities`);
    for (const r of ['cpu', 'memory']) {
      if (!c.resources?.requests?.[r] || !c.resources?.limits?.[r]) problems.push(`${name}: container ${c.name} has no ${r} request and limit`);
    }
  }
  return problems;
}

/**
 * A container's environment as the kubelet builds it: ConfigMap keys read from the rendered
 * ConfigMaps, Secret keys from `secrets` (test values), `$(NAME)` expanded from earlier entries.
 */
export function containerEnv(objects: K8sObject[], c: Container, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef;
    const sec = e.valueFrom?.secretKeyRef;
    let value = e.value ?? '';
    if (cm) {
      const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cm.name)?.data as Record<string, string> | undefined;
      value = data?.[cm.key] ?? `<no ConfigMap key ${cm.name}/${cm.key}>`;
    }
    if (sec) value = secrets[sec.name]?.[sec.key] ?? `<no test value for ${sec.name}/${sec.key}>`;
    env[e.name] = value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, ref: string) => env[ref] ?? whole);
  }
  return env;
}
