/**
 * Configuration loading: YAML file (optional) + environment (wins) + `<NAME>_FILE` secrets,
 * validated in one pass so every bad field is reported at once, by env name where it came from env.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PortcullisError } from '@portcullis/core';
import { CONFIG_FILE_VARIABLE, ENV_VARIABLES } from './env-table.js';
import type { EnvVariable } from './env-table.js';
import { missingProviderSettings, rawConfigSchema } from './schema.js';
import { toSidecarConfig } from './sidecar-config.js';
import type { SidecarConfig } from './sidecar-config.js';

/** One configuration problem: where (env name or file path) and what. */
export interface ConfigIssue {
  /** `PORTCULLIS_CACHE_TTL_MS` for env values, `routes.rules.0.path` for file values. */
  readonly field: string;
  readonly message: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Reads a file as UTF-8; injectable for tests. Default `fs.readFileSync`. */
  readonly readFile?: (path: string) => string;
}

type Tree = Record<string, unknown>;

/**
 * Build the configuration from `env` (and `--config <file>` in `argv`, which overrides
 * `PORTCULLIS_CONFIG`). Throws `PortcullisError('ERR_INVALID_OPTION')` whose `details.issues`
 * lists every problem (`ConfigIssue[]`); messages never contain a secret value.
 */
/** Marks the placeholders of docker/k8s (`REPLACE-with-...`); no real setting contains it. */
const PLACEHOLDER_MARK = 'REPLACE';

export function loadConfig(
  env: Environment,
  argv: readonly string[] = [],
  options: LoadConfigOptions = {},
): SidecarConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const issues: ConfigIssue[] = [];
  const fromEnv = new Map<string, string>();

  const configPath = configFileArgument(argv, issues) ?? nonEmpty(env[CONFIG_FILE_VARIABLE]);
  let tree: Tree = {};
  if (configPath !== undefined) tree = readYaml(configPath, readFile, issues);

  for (const variable of ENV_VARIABLES) {
    const value = readVariable(variable, env, readFile, issues);
    if (value === undefined) continue;
    if (value.includes(PLACEHOLDER_MARK)) {
      // The shipped manifests' placeholders (`REPLACE-with-...`): refuse to run with them. The
      // value itself is not echoed: it may be a half-edited secret.
      const source = env[variable.name] === undefined ? `${variable.name}_FILE` : variable.name;
      issues.push({
        field: source,
        message: `still holds a placeholder (contains "${PLACEHOLDER_MARK}"); set the real value`,
      });
      continue;
    }
    setPath(tree, variable.path, convert(variable, value));
    fromEnv.set(variable.path.join('.'), variable.name);
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith('PORTCULLIS_') || isKnownVariable(name)) continue;
    issues.push({ field: name, message: 'is not a known setting (see --help)' });
  }

  for (const path of missingProviderSettings(tree)) {
    issues.push(
      describeIssue(
        { path, code: 'custom', message: `is required for provider ${String(tree['provider'])}` },
        fromEnv,
        configPath,
      ),
    );
  }
  const parsed = rawConfigSchema.safeParse(tree);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(describeIssue(issue, fromEnv, configPath));
    }
  }
  if (issues.length > 0 || !parsed.success) throw configError(issues);
  return toSidecarConfig(parsed.data);
}

function configError(issues: readonly ConfigIssue[]): PortcullisError {
  const lines = issues.map((issue) => `${issue.field}: ${issue.message}`);
  return new PortcullisError(
    'ERR_INVALID_OPTION',
    `invalid configuration:\n  ${lines.join('\n  ')}`,
    {
      details: { issues },
    },
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function configFileArgument(argv: readonly string[], issues: ConfigIssue[]): string | undefined {
  const at = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (at === -1) return undefined;
  const arg = argv[at] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  if (value === undefined || value === '' || value.startsWith('--')) {
    issues.push({ field: '--config', message: 'needs a file path' });
    return undefined;
  }
  return value;
}

function isKnownVariable(name: string): boolean {
  if (name === CONFIG_FILE_VARIABLE) return true;
  return ENV_VARIABLES.some(
    (variable) => variable.name === name || (variable.fromFile && `${variable.name}_FILE` === name),
  );
}

function readYaml(path: string, readFile: (path: string) => string, issues: ConfigIssue[]): Tree {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    issues.push({ field: CONFIG_FILE_VARIABLE, message: `cannot read ${path}: ${errno(error)}` });
    return {};
  }
  try {
    const value: unknown = parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ field: path, message: 'must be a YAML mapping' });
      return {};
    }
    return value as Tree;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'parse error';
    issues.push({ field: path, message: `is not valid YAML: ${reason}` });
    return {};
  }
}

function errno(error: unknown): string {
  return (error as { code?: unknown }).code === undefined
    ? 'unreadable'
    : String((error as { code: unknown }).code);
}

function readVariable(
  variable: EnvVariable,
  env: Environment,
  readFile: (path: string) => string,
  issues: ConfigIssue[],
): string | undefined {
  const direct = nonEmpty(env[variable.name]);
  const filePath = variable.fromFile ? nonEmpty(env[`${variable.name}_FILE`]) : undefined;
  if (direct !== undefined && filePath !== undefined) {
    issues.push({
      field: variable.name,
      message: `set both ${variable.name} and ${variable.name}_FILE; set one`,
    });
    return undefined;
  }
  if (filePath === undefined) return direct;
  try {
    // Mounted secrets usually end with a newline that is not part of the secret.
    const content = readFile(filePath).replace(/\r?\n$/, '');
    if (content === '') {
      issues.push({ field: `${variable.name}_FILE`, message: `file ${filePath} is empty` });
      return undefined;
    }
    return content;
  } catch (error) {
    issues.push({
      field: `${variable.name}_FILE`,
      message: `cannot read ${filePath}: ${errno(error)}`,
    });
    return undefined;
  }
}

/** Env strings → the raw tree's types; unconvertible values stay strings so the schema names them. */
function convert(variable: EnvVariable, value: string): unknown {
  const trimmed = value.trim();
  switch (variable.kind) {
    case 'int':
      return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    case 'bool':
      if (/^(true|1|yes)$/i.test(trimmed)) return true;
      if (/^(false|0|no)$/i.test(trimmed)) return false;
      return trimmed;
    case 'list':
      return trimmed
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    default:
      return variable.secret ? value : trimmed;
  }
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node: Tree = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path.at(-1) as string] = value;
}

function describeIssue(
  issue: { path: readonly PropertyKey[]; message: string; code: string; keys?: readonly string[] },
  fromEnv: ReadonlyMap<string, string>,
  configPath: string | undefined,
): ConfigIssue {
  const dotted = issue.path.map(String).join('.');
  // List items (`webhooks.allowIps.1`) came from the env variable that set the list.
  const envName = fromEnv.get(dotted) ?? fromEnv.get(issue.path.slice(0, -1).map(String).join('.'));
  const message = issue.message.replace(/^Invalid input: /, '');
  if (envName !== undefined) return { field: envName, message };
  if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) {
    const where = dotted === '' ? '' : `${dotted}.`;
    return {
      field: issue.keys.map((key) => `${where}${displayKey(key)}`).join(', '),
      message: `unknown setting${configPath === undefined ? '' : ` in ${configPath}`}`,
    };
  }
  if (dotted === 'provider' && configPath === undefined) {
    return { field: 'PORTCULLIS_PROVIDER', message };
  }
  const envForPath = ENV_VARIABLES.find((variable) => variable.path.join('.') === dotted);
  const hint = envForPath === undefined ? '' : ` (${envForPath.name})`;
  return { field: `${dotted || '(root)'}${hint}`, message };
}

/** An unknown key as the operator can find it in the file: quoted when empty or unusual. */
function displayKey(key: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(key) ? key : JSON.stringify(key);
}
