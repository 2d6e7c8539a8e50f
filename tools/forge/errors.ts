/** Errors the forge raises on bad input; `code` is stable for tests and callers, the message says what to do. */
export type ForgeErrorCode =
  | 'bad-flag'
  | 'unknown-preset'
  | 'unknown-dtype'
  | 'unknown-tokenizer'
  | 'bad-shape'
  | 'missing-weight'
  | 'tokenizer-too-large'
  | 'fixture-missing';

export class ForgeError extends Error {
  readonly code: ForgeErrorCode;

  constructor(code: ForgeErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'ForgeError';
  }
}
