/** Types of scripts/gen-config-docs.mjs, for the drift test. */
export interface SidecarConfigSource {
  readonly ENV_VARIABLES: readonly {
    readonly name: string;
    readonly path: readonly string[];
    readonly kind: string;
    readonly fromFile: boolean;
    readonly secret: boolean;
  }[];
  readonly loadConfig: (env: Readonly<Record<string, string | undefined>>) => unknown;
}

export interface YamlOnlySetting {
  readonly path: string;
  readonly type: string;
  /** A value the sidecar accepts at `path`. */
  readonly example: unknown;
  readonly description: string;
}

export const DOC_PATH: string;
export const START_MARKER: string;
export const END_MARKER: string;
export const DESCRIPTIONS: Readonly<Record<string, string>>;
export const YAML_ONLY: readonly YamlOnlySetting[];
export const PROBE_ENV: Readonly<Record<string, string>>;
export function renderConfigReference(sidecar: SidecarConfigSource): string;
export function spliceGenerated(document: string, generated: string): string;
