/**
 * The import rules of .dependency-cruiser.cjs, proved both ways: the real src/ obeys them, and
 * each rule fires on a deliberately wrong import in a throwaway tree.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseOptions, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/proc.js';

const REPO = resolve(import.meta.dirname, '../..');
const rules = createRequire(import.meta.url)(join(REPO, '.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[]; options: ICruiseOptions };

async function violations(baseDir: string, files: string[] = ['src']): Promise<string[]> {
  const previous = process.cwd();
  // dependency-cruiser resolves the file list against the working directory.
  process.chdir(baseDir);
  try {
    const result = await cruise(files, {
      ...rules.options,
      validate: true,
      ruleSet: { forbidden: rules.forbidden },
      baseDir,
      tsConfig: { fileName: join(baseDir, 'tsconfig.json') },
    });
    if (typeof result.output === 'string') throw new Error('expected a structured cruise result');
    return result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

describe('the layer rules', () => {
  it('hold for src/ as it is', async () => {
    expect(await violations(REPO)).toEqual([]);
  });

  describe('fire on a wrong import', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;

    beforeAll(async () => {
      tmp = await tempDir('layers');
      await writeFile(
        join(tmp.path, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
      );
      await writeFile(join(tmp.path, 'package.json'), JSON.stringify({ type: 'module', dependencies: { fastify: '*' }, devDependencies: { vitest: '*' } }));
      await symlink(join(REPO, 'node_modules'), join(tmp.path, 'node_modules'));
    });
    afterAll(async () => {
      await tmp?.remove();
    });

    /** Writes `from` importing `to` (a path under src/ or a package name) and cruises only `from`. */
    async function cruiseOne(from: string, to: string): Promise<string[]> {
      const write = async (file: string, text: string) => {
        await mkdir(dirname(join(tmp.path, file)), { recursive: true });
        await writeFile(join(tmp.path, file), text);
      };
      const local = to.startsWith('src/');
      if (local) await write(to, 'export const target = 1;\n');
      await write(from, `import * as target from '${local ? relative(from, to) : to}';\nexport const uses = target;\n`);
      return violations(tmp.path, [from]);
    }

    it.each<[string, string, string]>([
      ['src/domain/model.ts', 'src/auth/chain.ts', 'domain-imports-nothing'],
      ['src/token/signer.ts', 'src/auth/permissions.ts', 'token-is-jwt-primitives'],
      ['src/auth/local.ts', 'src/backends/sql/users.ts', 'auth-uses-interfaces'],
      ['src/audit/writer.ts', 'src/backends/sql/audit.ts', 'audit-uses-interfaces'],
      ['src/auth/chain.ts', 'src/realm/realm.ts', 'auth-uses-interfaces'],
      ['src/realm/realm.ts', 'src/routes/token.ts', 'realm-over-auth-and-token'],
      ['src/admin/service.ts', 'src/realm/realm.ts', 'admin-over-auth'],
      ['src/config/load.ts', 'src/backends/ldap/dn.ts', 'config-is-a-leaf'],
      ['src/backends/store.ts', 'src/auth/chain.ts', 'backends-implement-domain'],
      ['src/routes/health.ts', 'src/backends/store.ts', 'only-the-composition-root-knows-backends'],
      ['src/services.ts', 'src/routes/errors.ts', 'composition-root-below-http'],
      ['src/realm/realm.ts', 'fastify', 'fastify-only-in-http'],
      ['src/auth/chain.ts', 'vitest', 'no-dev-dependencies-in-src'],
    ])('%s importing %s breaks %s', async (from, to, rule) => {
      expect((await cruiseOne(from, to)).map((v) => v.split(':')[0])).toContain(rule);
    });

    it('a cycle between two modules of one layer breaks no-circular', async () => {
      await mkdir(join(tmp.path, 'src/auth'), { recursive: true });
      await writeFile(join(tmp.path, 'src/auth/ping.ts'), "import { pong } from './pong.js';\nexport const ping = () => pong;\n");
      await writeFile(join(tmp.path, 'src/auth/pong.ts'), "import { ping } from './ping.js';\nexport const pong = () => ping;\n");
      expect((await violations(tmp.path, ['src/auth/ping.ts'])).map((v) => v.split(':')[0])).toContain('no-circular');
    });
  });
});

/** The relative ESM specifier (with .js) from one src file to another. */
function relative(from: string, to: string): string {
  const up = from.split('/').slice(0, -1);
  const down = to.split('/');
  let common = 0;
  while (common < up.length && up[common] === down[common]) common++;
  const path = [...up.slice(common).map(() => '..'), ...down.slice(common)].join('/').replace(/\.ts$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
}
