/**
 * The layers of src/, enforced (`npm run lint`). Data flows one way:
 *
 *   cli/, app.ts, server.ts, plugins/, routes/   HTTP and the command line
 *   services.ts                                  the composition root: knows every concrete class
 *   realm/, admin/                               use cases: authenticate -> authorize -> sign; admin rules
 *   auth/, token/, audit/                        authenticators and permissions; JWT primitives; the audit writer
 *   backends/                                    adapters: SQL repositories, the LDAP directory client
 *   config/                                      the configuration schema and its resolution
 *   domain/                                      types, interfaces, errors: imports nothing of ours
 *
 * A layer imports only the layers its rule names. test/unit/architecture.test.ts proves each
 * rule fires on a wrong import.
 */
const layer = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: allowed.map((a) => `^src/${a}`) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; split the shared part into the lower one.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('domain-imports-nothing', '^src/domain/', ['domain/'], 'domain/ is the bottom: types and interfaces every layer shares.'),
    layer('token-is-jwt-primitives', '^src/token/', ['token/', 'domain/'], 'token/ signs and parses; it knows no accounts or stores.'),
    layer('auth-uses-interfaces', '^src/auth/', ['auth/', 'domain/'], 'auth/ works against the repository and Directory interfaces, never the adapters.'),
    layer('audit-uses-interfaces', '^src/audit/', ['audit/', 'domain/'], 'audit/ buffers and sweeps through the AuditRepository interface.'),
    layer('realm-over-auth-and-token', '^src/realm/', ['realm/', 'auth/', 'token/', 'domain/'], 'The realm composes authentication, authorization and signing.'),
    layer('admin-over-auth', '^src/admin/', ['admin/', 'auth/', 'domain/'], 'Admin rules use the repositories through domain interfaces.'),
    layer('config-is-a-leaf', '^src/config/', ['config/', 'domain/'], 'Resolving the configuration needs nothing but its schema.'),
    layer('backends-implement-domain', '^src/backends/', ['backends/', 'domain/', 'config/'], 'Adapters implement domain interfaces and read their settings.'),
    {
      name: 'only-the-composition-root-knows-backends',
      comment: 'Concrete adapters are chosen in services.ts; everything else sees interfaces.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/backends/', '^src/services\\.ts$'] },
      to: { path: '^src/backends/' },
    },
    {
      name: 'composition-root-below-http',
      comment: 'services.ts builds what HTTP and the CLI use; it cannot depend on them.',
      severity: 'error',
      from: { path: '^src/services\\.ts$' },
      to: { path: ['^src/(routes|plugins|cli)/', '^src/(app|server)\\.ts$'] },
    },
    {
      name: 'fastify-only-in-http',
      comment: 'Nothing below routes/ knows about requests and replies.',
      severity: 'error',
      from: { path: ['^src/(domain|token|auth|audit|realm|admin|config|backends)/', '^src/(services|metrics)\\.ts$'] },
      to: { path: '(^|/)node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/' },
    },
    {
      name: 'no-dev-dependencies-in-src',
      comment: 'What src/ imports must be a runtime dependency, or a fresh `npm ci --omit=dev` breaks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
