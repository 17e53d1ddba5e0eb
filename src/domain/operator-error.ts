// An error whose message already tells the operator what went wrong and what to do (a port in use, an unreachable
// DATABASE_URL, a data directory the database cannot enter): the entry prints the message alone, without a stack.
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
  }
}
