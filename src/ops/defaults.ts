// Defaults the CLI's help text shows without loading the checks themselves.

/** How long each doctor check may take before it is reported as failed. */
export const DEFAULT_TIMEOUT_MS = 5_000;
