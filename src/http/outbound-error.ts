// One shape for every failed call to a service outside ours (Discord, the HubSpot CRM, the LLM providers): what kind
// of failure it was (`errorClass`, each client's own vocabulary), whether trying again later can help (`retryable`),
// and the HTTP status when there was one. Callers decide on these three alone, whichever client threw.
export class OutboundError<C extends string = string> extends Error {
  readonly errorClass: C;
  /** Worth trying again later (a job retry, a fallback), as opposed to needing a person. */
  readonly retryable: boolean;
  readonly status: number | null;

  constructor(
    errorClass: C,
    message: string,
    details: { retryable: boolean; status?: number | null; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.errorClass = errorClass;
    this.retryable = details.retryable;
    this.status = details.status ?? null;
  }
}
