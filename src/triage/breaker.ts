// Per-provider circuit breaker (ARCHITECTURE D6): after N consecutive failures the provider is skipped for a
// cool-down, then exactly one probe is let through (half-open); its success closes the circuit, its failure reopens
// it. A 429 with retry-after opens it for exactly that long. Time comes from an injected clock so tests control it.

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  now: () => number;
  /** Consecutive failures that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long an open circuit skips the provider before one probe (default 60 s). */
  cooldownMs?: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** Epoch (of the injected clock) when an open circuit allows its probe; null unless open. */
  openUntil: number | null;
  /** When the provider last answered, and last failed (with the failure's class); null until it happened. */
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailureReason: string | null;
}

export interface CircuitBreaker {
  /** Asks to make a call. False means skip the provider now; true in half-open claims the single probe. */
  tryAcquire(): boolean;
  recordSuccess(): void;
  recordFailure(options?: { retryAfterMs?: number; reason?: string }): void;
  /** Gives back a probe that was acquired but not used to judge the provider (e.g. the caller aborted). */
  release(): void;
  /** For /health: the state as of now (an expired open circuit reports half_open, without claiming the probe). */
  state(): CircuitState;
  snapshot(): CircuitSnapshot;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { now } = options;
  const threshold = options.failureThreshold ?? 3;
  const cooldownMs = options.cooldownMs ?? 60_000;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openUntil = 0;
  let probeInFlight = false;
  let lastSuccessAt: number | null = null;
  let lastFailureAt: number | null = null;
  let lastFailureReason: string | null = null;

  const open = (ms: number) => {
    state = 'open';
    openUntil = now() + ms;
    probeInFlight = false;
  };

  return {
    tryAcquire() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now() < openUntil) return false;
        state = 'half_open';
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    recordSuccess() {
      state = 'closed';
      failures = 0;
      probeInFlight = false;
      lastSuccessAt = now();
    },
    recordFailure(failure) {
      failures++;
      lastFailureAt = now();
      lastFailureReason = failure?.reason ?? null;
      if (failure?.retryAfterMs !== undefined && failure.retryAfterMs > 0) open(failure.retryAfterMs);
      else if (state === 'half_open' || failures >= threshold) open(cooldownMs);
    },
    release() {
      probeInFlight = false;
    },
    state() {
      if (state === 'open' && now() >= openUntil) return 'half_open';
      return state;
    },
    snapshot() {
      const current = this.state();
      return {
        state: current,
        consecutiveFailures: failures,
        openUntil: state === 'open' ? openUntil : null,
        lastSuccessAt,
        lastFailureAt,
        lastFailureReason,
      };
    },
  };
}
