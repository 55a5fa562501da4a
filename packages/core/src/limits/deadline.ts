/** Bounds how long we wait for a collaborator (the shared cache) that has no signal of its own. */

/** Resolves or rejects like `promise`, or rejects with `onTimeout()` after `timeoutMs`. */
export function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
