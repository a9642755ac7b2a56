/**
 * Strategic merge patch, as kustomize's patchesStrategicMerge applies it, for the fields the
 * patches in deploy/kubernetes touch: maps merge key by key, `null` removes a key, and the
 * lists of a pod spec merge by their Kubernetes merge key. Items a patch adds come first, as
 * kustomize puts them; items it changes keep their place. Any other list is replaced whole.
 * `$patch` directives are refused: none of ours uses one.
 */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The merge key of each list that is merged rather than replaced (Kubernetes' patchMergeKey). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

type Json = unknown;
const isMap = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function strategicMerge(target: K8sObject, patch: K8sObject): K8sObject {
  return mergeMaps(target, patch) as K8sObject;
}

function mergeMaps(target: Record<string, Json>, patch: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`strategic-merge: ${key} directives are not implemented`);
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = mergeMaps(out[key] as Record<string, Json>, value);
    else if (Array.isArray(value) && Array.isArray(out[key]) && MERGE_KEYS[key]) out[key] = mergeLists(out[key] as Json[], value, MERGE_KEYS[key]);
    else out[key] = structuredClone(value);
  }
  return out;
}

function mergeLists(target: Json[], patch: Json[], mergeKey: string): Json[] {
  const keyOf = (item: Json) => (isMap(item) ? item[mergeKey] : undefined);
  const added = patch.filter((p) => !target.some((t) => keyOf(t) === keyOf(p))).map((p) => structuredClone(p));
  const kept = target.map((t) => {
    const p = patch.find((x) => keyOf(x) === keyOf(t));
    return p !== undefined && isMap(t) && isMap(p) ? mergeMaps(t, p) : t;
  });
  return [...added, ...kept];
}
