/** Newest observation wins across replicas: compare `at`, then `origin` (docs/design.md §1). */
import type { PolicyVersion } from '../types.js';

export function isNewerVersion(candidate: PolicyVersion, current: PolicyVersion): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  return candidate.origin > current.origin;
}
