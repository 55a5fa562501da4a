import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { StateData } from './state.js';

/** Reads a state file; undefined when it does not exist. Throws on a corrupt file. */
export function loadState(path: string): StateData | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const data = JSON.parse(text) as StateData;
  if (data?.version !== 1 || !Array.isArray(data.keys)) {
    throw new TypeError(`statePath ${path} is not a portcullis-emulator state file`);
  }
  // Files written before the audience became the vendor client ID (or the app ID).
  delete (data as unknown as Record<string, unknown>)['workspaceId'];
  data.configuration.addRolesToJwt ??= true;
  data.configuration.addPermissionsToJwt ??= true;
  return data;
}

/**
 * Writes the state file after changes, debounced, atomically (temp file + rename) and with
 * mode 0600: it holds private keys and the vendor secret.
 */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly state: () => StateData,
    private readonly debounceMs = 50,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.debounceMs);
  }

  /** Writes now if a write is pending (called on close). */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }

  write(): void {
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state()), { mode: 0o600 });
    renameSync(temp, this.path);
  }
}
