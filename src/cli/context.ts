import type { ApiVersion, Logger, PhaseInputs, PhaseName } from '../platform/index.ts';

/** What a phase runner gets from the CLI edge (`main.ts` builds it, `runners.ts` consumes it). */
export interface PhaseContext {
  readonly phase: PhaseName;
  readonly inputs: PhaseInputs;
  readonly env: Readonly<Record<string, string>>;
  readonly platformApi: ApiVersion;
  readonly log: Logger;
}
