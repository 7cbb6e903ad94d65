// ESLint flat config. `boundaries/layers` makes the layering of STYLE.md checkable:
// a folder may import only the folders it is allowed to (see tools/eslint/boundaries.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './tools/eslint/boundaries.js';

const root = import.meta.dirname;

/** The layer table: who may import whom. Keep it in step with docs/architecture.md. */
const layers = [
  // The KMIP library stands alone: nothing outside src/kmip/, no package but node: built-ins.
  { from: 'src/kmip', allow: [], packages: [] },
  // Domain modules: no framework, no storage engine; they see the KMIP library through its face.
  { from: 'src/events', allow: ['src/shared'], packages: [] },
  // The SSO domain: pure, no framework, no storage engine, no logger.
  { from: 'src/sso/core', allow: ['src/sso/ports'], packages: [] },
  { from: 'src/sso/ports', allow: ['src/sso/core'], packages: [] },
  { from: 'src/sso/ldif', allow: [], packages: [] },
  // The SSO roles as services: the domain, its ports and the access-log records they write.
  {
    from: 'src/sso/servers',
    allow: ['src/sso/core', 'src/sso/ports', 'src/logs'],
    packages: [],
    onlyThroughIndex: ['src/logs'],
  },
  // The configuration schema and loader.
  { from: 'src/config', allow: [], packages: ['@sinclair/typebox'] },
  // SSO access-log records, formats, grammar and writer: node: built-ins only.
  { from: 'src/logs', allow: [], packages: [] },
  { from: 'src/pki', allow: [] },
  { from: 'src/shared', allow: [], packages: [] },
  {
    from: 'src/keyservers',
    allow: ['src/kmip', 'src/events', 'src/pki'],
    packages: [],
    onlyThroughIndex: ['src/kmip'],
  },
  // Adapters implement the domain ports.
  {
    from: 'src/storage',
    allow: ['src/events', 'src/keyservers', 'src/sso/core', 'src/sso/ports'],
    packages: [],
  },
  // The Redis/Valkey adapter: the one storage folder that may use a client package. The longest
  // matching `from` wins (tools/eslint/boundaries.js), so this entry overrides src/storage.
  {
    from: 'src/storage/redis',
    allow: ['src/events', 'src/keyservers', 'src/sso/core', 'src/sso/ports'],
    packages: ['iovalkey'],
  },
  // The LDAP adapters (OpenLDAP, Active Directory): the one storage folder that may use ldapts.
  { from: 'src/storage/ldap', allow: ['src/sso/core', 'src/sso/ports'], packages: ['ldapts'] },
  {
    from: 'src/management',
    allow: [
      'src/kmip',
      'src/events',
      'src/keyservers',
      'src/pki',
      'src/shared',
      'src/sso',
      'src/logs',
      'src/cli/args.ts',
    ],
    // src/logs: the access-log queries of lsaccesslog and lsaccessstats.
    onlyThroughIndex: ['src/kmip', 'src/logs'],
  },
  {
    from: 'src/http',
    allow: ['src/management', 'src/sso/core', 'src/sso/servers', 'src/logs', 'src/cli/args.ts'],
    onlyThroughIndex: ['src/logs'],
  },
  { from: 'src/cli', allow: ['src/kmip', 'src/shared'], onlyThroughIndex: ['src/kmip'] },
  { from: 'src/main', allow: ['src'], onlyThroughIndex: ['src/kmip'] },
  { from: 'tests', allow: ['src', 'tests', 'package.json', 'docs'] },
  { from: 'bench', allow: ['src', 'tests/helpers', 'tests/vectors', 'bench'] },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { boundaries },
    rules: {
      'boundaries/layers': ['error', { root, layers }],
      // With noUncheckedIndexedAccess every byte read of a codec is `number | undefined`;
      // bounds are checked once per item, so `b[i]!` after the check is the honest form.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` table with a derived union.' },
        { selector: 'TSModuleDeclaration', message: 'No namespaces: erasable syntax only.' },
      ],
    },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly' },
      parserOptions: { projectService: false },
    },
  },
);
