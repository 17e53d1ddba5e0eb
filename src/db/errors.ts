// PostgreSQL errors by cause: the data's own (SQLSTATE classes 22 data exception and 23 integrity constraint), which
// retrying cannot fix, as opposed to the database or the connection, which may come back.
export function isDataError(error: unknown): boolean {
  const code =
    (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
