// The layer rules of src/ (see README "Source layout"), checked by `npm run lint`:
// layers call downward only (http -> query -> cache -> store), only roles/ wires parts
// together, cli/ only calls roles/, and nothing imports in a circle. Type-only imports count.
const UPPER = '^src/(http|gateway|cluster|supervisor|roles|cli|loadgen|gendata|import)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two files are one concept, or one of them is in the wrong layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-stays-below',
      severity: 'error',
      comment: 'store/, cache/ and query/ are the data path; they never call the wire, the gateway, membership or the processes around them.',
      from: { path: '^src/(store|cache|query)/' },
      to: { path: UPPER },
    },
    {
      name: 'cache-below-query',
      severity: 'error',
      comment: 'cache/ holds bytes; what a request means is query/, how it travels is http/.',
      from: { path: '^src/cache/' },
      to: { path: '^src/(query|http)/' },
    },
    {
      name: 'store-at-the-bottom',
      severity: 'error',
      comment: 'store/ reads SQLite into memory and knows nothing of caching or queries.',
      from: { path: '^src/store/' },
      to: { path: '^src/(cache|query)/' },
    },
    {
      name: 'shared-is-the-ground-floor',
      severity: 'error',
      comment: 'shared/ (errors, envelope, routes, logger) is imported by everyone and imports nothing of src/ but itself.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'only-cli-calls-roles',
      severity: 'error',
      comment: 'roles/ wires and runs; only cli/ (which parses flags) starts a role, and roles do not call each other.',
      from: { pathNot: '^src/(cli|roles)/' },
      to: { path: '^src/roles/' },
    },
    {
      name: 'roles-do-not-call-roles',
      severity: 'error',
      comment: 'Each role is independent; what they share lives in roles/lifecycle.ts.',
      from: { path: '^src/roles/', pathNot: '^src/roles/lifecycle\\.ts$' },
      to: { path: '^src/roles/', pathNot: '^src/roles/lifecycle\\.ts$' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'cli/ is the top: only its own files (bin.ts -> main.ts -> commands/) import it.',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-dev-dependencies-in-src',
      severity: 'error',
      comment: 'src/ is bundled into dist/; a devDependency would be missing for users.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
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
