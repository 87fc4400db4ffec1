import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ROOT } from '../helpers/cli.js';

/**
 * deploy/kubernetes validates offline against the Kubernetes API's JSON schemas (the kubernetes-models
 * package: models generated from the Kubernetes OpenAPI, with backoffLimitPerIndex, successPolicy and
 * managedBy of batch/v1 Job), as kustomize would emit them: the resources, plus the generated ConfigMaps.
 */
const DIR = path.join(ROOT, 'deploy/kubernetes');
const read = (f: string) => parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
const MODELS: Record<string, new (o: never) => { validate(): void }> = { Job, ServiceAccount, ConfigMap };

function validate(doc: Record<string, unknown>): void {
  const Model = MODELS[doc.kind as string];
  if (!Model) throw new Error(`no schema for kind ${String(doc.kind)}`);
  new Model(doc as never).validate();
}

interface Kustomization {
  resources: string[];
  configMapGenerator?: Array<{ name: string; literals?: string[]; files?: string[] }>;
}

describe('deploy/kubernetes', () => {
  it('every resource of both kustomizations is valid, and the generated ConfigMaps too', () => {
    for (const dir of ['.', 'clean-run']) {
      const k = read(path.join(dir, 'kustomization.yaml'))[0] as unknown as Kustomization;
      for (const r of k.resources) for (const doc of read(path.join(dir, r))) validate(doc);
      for (const g of k.configMapGenerator ?? []) {
        const data: Record<string, string> = {};
        for (const l of g.literals ?? []) data[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
        for (const f of g.files ?? []) data[path.basename(f)] = readFileSync(path.join(DIR, dir, f), 'utf8');
        validate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
      }
    }
  });

  it('is an Indexed Job of ELF_SHARDS pods, each index retried on its own', () => {
    const [job] = read('job.yaml') as Array<{ spec: Record<string, unknown> & { template: { spec: { restartPolicy: string } } } }>;
    const k = read('kustomization.yaml')[0] as unknown as Kustomization;
    const shards = Number(k.configMapGenerator![0]!.literals!.find((l) => l.startsWith('ELF_SHARDS='))!.split('=')[1]);
    expect(job!.spec).toMatchObject({ completionMode: 'Indexed', completions: shards, parallelism: shards });
    expect(job!.spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(job!.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('the schema check catches a mistake', () => {
    const [job] = read('job.yaml') as Array<{ spec: Record<string, unknown> }>;
    expect(() => validate({ ...job, spec: { ...job!.spec, backoffLimitPerIndex: 'one' } })).toThrow(/backoffLimitPerIndex/);
  });
});
