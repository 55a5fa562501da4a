import { expect } from 'vitest';
import { PortcullisError } from '../../src/errors.js';

/** Await a promise that must reject with a PortcullisError, and return that error. */
export async function rejection(promise: Promise<unknown>): Promise<PortcullisError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PortcullisError);
  return error as PortcullisError;
}
