/** What kind of failure an `Nn2eqError` reports; the CLI maps every kind to exit code 2. */
export type ErrorKind = 'input' | 'unsupported' | 'too-large' | 'usage' | 'io';

/**
 * The one error type nn2eq throws for anything the user can fix: a bad file, an unsupported
 * layer, an output past --max-size. The message is one line saying what was found and what was
 * expected; `hint` says how to fix it.
 */
export class Nn2eqError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind = 'input',
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'Nn2eqError';
  }
}
