import * as core from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PortcullisError, isPortcullisError } from '../src/index.js';

describe('@portcullis/express error surface', () => {
  it('re-exports core’s error class, guard and codes (the same objects, so instanceof holds)', () => {
    expect(PortcullisError).toBe(core.PortcullisError);
    expect(isPortcullisError).toBe(core.isPortcullisError);
    expect(ERROR_CODES).toBe(core.ERROR_CODES);
    const error = new core.PortcullisError('ERR_TOKEN_INACTIVE', 'token is not active');
    expect(error).toBeInstanceOf(PortcullisError);
    expect(isPortcullisError(error)).toBe(true);
  });
});
