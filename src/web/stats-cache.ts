// The overview's numbers for its long windows (7 d, 30 d): the ticket counts read every ticket of the window
// (hundreds of milliseconds at a million tickets) and the triage attempts sum thousands of hourly rows. Each window's
// last result is kept with the time it was counted, and the page shows that time. A result older than `maxAgeMs` is still served while one recount runs in the background; one older
// than `hardMaxAgeMs` (nobody looked for a while) is recounted before answering. The counts are exact as of their time.
export interface Counted<T> {
  value: T;
  /** When the counts were taken (their window ends here). */
  at: Date;
}

export interface StatsCacheOptions<T> {
  /** Counts the window of `windowHours` that starts at `since`. */
  load: (since: Date, windowHours: number) => Promise<T>;
  maxAgeMs: number;
  hardMaxAgeMs: number;
  now?: () => number;
}

export function createStatsCache<T>(options: StatsCacheOptions<T>) {
  const now = options.now ?? Date.now;
  const kept = new Map<number, Counted<T>>();
  const counting = new Map<number, Promise<Counted<T>>>();

  /** One count per window at a time; a failed recount forgets the window, so the next request counts (and fails) itself. */
  function count(windowHours: number): Promise<Counted<T>> {
    const running = counting.get(windowHours);
    if (running) return running;
    const at = now();
    const promise = options
      .load(new Date(at - windowHours * 3_600_000), windowHours)
      .then((value) => {
        const counted = { value, at: new Date(at) };
        kept.set(windowHours, counted);
        return counted;
      })
      .catch((error: unknown) => {
        kept.delete(windowHours);
        throw error;
      })
      .finally(() => counting.delete(windowHours));
    counting.set(windowHours, promise);
    return promise;
  }

  return {
    /** The window's counts, at most `hardMaxAgeMs` old (a recount starts when they are older than `maxAgeMs`). */
    async get(windowHours: number): Promise<Counted<T>> {
      const counted = kept.get(windowHours);
      const age = counted ? now() - counted.at.getTime() : Number.POSITIVE_INFINITY;
      if (!counted || age > options.hardMaxAgeMs) return count(windowHours);
      // The caller is answered from the kept counts; a failure of this recount reaches the next caller instead.
      if (age > options.maxAgeMs) count(windowHours).catch(() => {});
      return counted;
    },
  };
}
