// Whether this process is draining: the readiness probe and the webhook route answer 503 once it is.
export interface Lifecycle {
  isDraining(): boolean;
  startDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    isDraining: () => draining,
    startDraining: () => {
      draining = true;
    },
  };
}
