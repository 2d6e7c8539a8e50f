/**
 * What the app tells the user about an error, in their language: a message per PetitError code from the errors
 * catalog (with the error's details as arguments), falling back to the error's own message for anything else.
 * The library's English messages stay as they are for library users; the app shows these.
 */
import { isPetitError } from '../engine/errors.ts';
import { i18next } from './index.ts';

export function describeError(error: unknown): string {
  if (isPetitError(error)) {
    const key = `errors:${error.code}`;
    if (i18next.exists(key))
      return i18next.t(key as never, { ...error.details, message: error.message }) as string;
  }
  return error instanceof Error ? error.message : String(error);
}
