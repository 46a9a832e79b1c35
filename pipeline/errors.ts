/**
 * Bad input from a user: a file or an argument. The message names it, so the CLI can print it
 * as is and go on with other files.
 */
export class InputError extends Error {
  constructor(
    /** The file path or argument name the problem is about. */
    readonly subject: string,
    message: string,
  ) {
    super(`${subject}: ${message}`);
    this.name = 'InputError';
  }
}
