import { badRequest } from './errors.js';

/** Small input validators: every failure is a 400 naming the field. */
export type Json = Record<string, unknown>;

export function objectBody(body: unknown, what = 'body'): Json {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`${what} must be a JSON object`);
  }
  return body as Json;
}

export function requiredString(body: Json, field: string, maxLength = 1024): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw badRequest(`${field} is required and must be a non-empty string`);
  }
  if (value.length > maxLength)
    throw badRequest(`${field} must be at most ${maxLength} characters`);
  return value;
}

export function optionalString(body: Json, field: string, maxLength = 1024): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  if (value.length > maxLength)
    throw badRequest(`${field} must be at most ${maxLength} characters`);
  return value;
}

export function optionalBoolean(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean`);
  return value;
}

export function optionalInteger(
  body: Json,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`${field} must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function optionalStringArray(
  body: Json,
  field: string,
  maxItems = 100,
): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > maxItems ||
    !value.every((item) => typeof item === 'string' && item !== '' && item.length <= 256)
  ) {
    throw badRequest(`${field} must be an array of at most ${maxItems} non-empty strings`);
  }
  return value as string[];
}

/** `metadata` is free-form: an object, or (as Frontegg's users API takes it) a JSON string. */
export function optionalMetadata(
  body: Json,
  field = 'metadata',
): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // fall through to the error below
    }
    throw badRequest(`${field} must be a JSON object or a string holding one`);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`${field} must be a JSON object`);
  }
  if (JSON.stringify(value).length > 8192) throw badRequest(`${field} must be at most 8192 bytes`);
  return value as Record<string, unknown>;
}

export function requiredHeader(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string {
  const value = optionalHeader(headers, name);
  if (value === undefined) throw badRequest(`header ${name} is required`);
  return value;
}

export function optionalHeader(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw badRequest(`header ${name} must appear once`);
  if (value === undefined || value.trim() === '') return undefined;
  return value.trim();
}
