/**
 * Fields the Kubernetes API does not know, anywhere in an object. kubernetes-models' schema
 * validators accept any extra field (the API's OpenAPI allows them), so a misspelt
 * `readinesProbe` would pass them, while the API server drops it or refuses it (kubectl's
 * strict field validation). kubernetes-models' TypeScript interfaces list every field, and
 * TypeScript refuses unknown properties in an object literal: each object is written as a
 * typed literal and compiled in memory.
 */
import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './strategic-merge.js';

const TYPES: Record<string, [module: string, name: string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1', 'IConfigMap'],
  'v1/Service': ['kubernetes-models/v1', 'IService'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1', 'IDeployment'],
  'apps/v1/StatefulSet': ['kubernetes-models/apps/v1', 'IStatefulSet'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1', 'IPodDisruptionBudget'],
};

/** One sentence per unknown or mistyped field, naming the object; none for objects the API knows. */
export function unknownFields(objects: K8sObject[]): string[] {
  // Beside the repository's node_modules, so the imports resolve; never written to disk.
  const file = join(process.cwd(), 'k8s-fields-check.ts');
  const lines = objects.map((o, i) => {
    const type = TYPES[`${o.apiVersion}/${o.kind}`];
    if (!type) throw new Error(`no type for ${o.apiVersion} ${o.kind}`);
    return `// ${o.kind} ${o.metadata.name}\nexport const o${i}: import('${type[0]}').${type[1]} = ${JSON.stringify(o, null, 1)};`;
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const object =
      at >= 0
        ? (source
            .split('\n')
            .slice(0, at + 1)
            .reverse()
            .find((l) => l.startsWith('// ')) ?? '')
        : '';
    return `${object.slice(3)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
