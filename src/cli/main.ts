import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkExperimental,
  checkPlatformApi,
  deprecationMode,
  isLifecycleError,
  isPhase,
  LifecycleError,
  type Logger,
  type LogLevel,
  PHASES,
  type PhaseInputs,
  type PhaseName,
  resolveInputs,
  validLogLevel,
} from '../platform/index.ts';
import { VERSION } from './build-info.ts';
import { consoleLogger, type Streams } from './console-logger.ts';
import { usage } from './usage.ts';

export { PHASES, SUPPORTED_BUILDPACK_APIS, SUPPORTED_PLATFORM_APIS } from '../platform/index.ts';

/** `lifecycle <subcommand>` names (the reference's) → phase. Phase names work too. */
const SUBCOMMANDS: Readonly<Record<string, PhaseName>> = {
  analyze: 'analyzer',
  detect: 'detector',
  restore: 'restorer',
  extend: 'extender',
  build: 'builder',
  export: 'exporter',
  create: 'creator',
  rebase: 'rebaser',
};

export { VERSION } from './build-info.ts';

const PATH_KEYS = [
  'analyzed',
  'app',
  'buildConfig',
  'buildpacks',
  'cacheDir',
  'extended',
  'extensions',
  'generated',
  'group',
  'launchCache',
  'launcher',
  'launcherSbom',
  'layers',
  'layoutDir',
  'order',
  'plan',
  'platform',
  'projectMetadata',
  'report',
  'run',
] as const;

function absolutize(inputs: PhaseInputs): PhaseInputs {
  const out: Record<string, unknown> = { ...inputs };
  for (const k of PATH_KEYS) {
    const v = out[k];
    if (typeof v === 'string' && v !== '') out[k] = resolve(v);
  }
  return out as unknown as PhaseInputs;
}

function initialLevel(env: Readonly<Record<string, string | undefined>>): LogLevel {
  try {
    return validLogLevel(env['CNB_LOG_LEVEL'] || 'info');
  } catch {
    return 'info';
  }
}

/**
 * The CLI edge: picks the phase, checks CNB_PLATFORM_API before anything else (platform.md "Usage"),
 * resolves inputs, runs the phase and turns any error into a message and the spec's exit code.
 * Returns the exit code; never calls process.exit itself.
 */
export async function main(
  phaseArg: string | undefined,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Streams,
  /** Variables the runtime was started with that are not the platform's (D-437), for the debug log. */
  runtime: Readonly<Record<string, string>> = {},
): Promise<number> {
  let log = consoleLogger(initialLevel(env), io);
  const args = [...argv];
  let phase = phaseArg;
  try {
    if (phase === undefined) {
      phase = args.shift();
      if (phase === '-version' || phase === '--version') {
        io.out.write(`${VERSION}\n`);
        return 0;
      }
      phase = SUBCOMMANDS[phase ?? ''] ?? phase;
      if (!isPhase(phase))
        throw new LifecycleError(
          'ERR_INVALID_ARGS',
          'invalidArgs',
          `${phase === undefined ? 'failed to parse arguments: no phase given' : `failed to recognize phase: ${phase}`}; usage: lifecycle <phase> [flags], where <phase> is one of ${PHASES.join(', ')} (or ${Object.keys(SUBCOMMANDS).join(', ')})`,
        );
    }
    if (!isPhase(phase))
      throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', `unknown phase '${phase}'`);
    // platform.md "Usage": CNB_PLATFORM_API is evaluated before any other input is parsed.
    const platformApi = checkPlatformApi(env['CNB_PLATFORM_API'], {
      mode: deprecationMode(env['CNB_DEPRECATION_MODE']),
      warn: (m) => log.warn(m),
    });
    const resolved = resolveInputs(phase, args, env, existsSync, platformApi);
    if (resolved.version) {
      io.out.write(`${VERSION}\n`);
      return 0;
    }
    if (resolved.help) {
      io.out.write(usage(phase, platformApi));
      return 0;
    }
    log = consoleLogger(resolved.inputs.logLevel, io);
    for (const a of resolved.unconsumed)
      log.warn(`unconsumed flag-like positional arg: ${a} (flags must come before the image arguments)`);
    for (const f of resolved.experimental) checkExperimental(f, env['CNB_EXPERIMENTAL_MODE'], log);
    const cleanEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
    const inputs = absolutize(resolved.inputs);
    // The Node flags and variables the runtime chose for this phase (D-432, D-437), so a debug log
    // shows how it ran.
    const node = process.execArgv.length > 0 ? `, node ${process.execArgv.join(' ')}` : '';
    const vars = Object.entries(runtime).map(([k, v]) => `, ${k}=${v}`);
    const flags = `${node}${vars.join('')}`;
    log.debug(`Running ${phase} (lifecycle ${VERSION}, Platform API ${env['CNB_PLATFORM_API']}${flags})`);
    // Loaded on demand: `-version`, `-help` and bad input never load the phases' code (and the Node
    // modules it needs), which keeps start-up close to Node's own (docs/release.md "Measuring it").
    const { RUNNERS } = await import('./runners.ts');
    const ctx = { phase, inputs, env: cleanEnv, platformApi, log };
    const runner = RUNNERS[phase];
    // D-385, D-413: each phase times its own work once its inputs are checked, as the reference does.
    await runner(ctx);
    return 0;
  } catch (e) {
    return report(e, log);
  }
}

function report(e: unknown, log: Logger): number {
  if (isLifecycleError(e)) {
    log.error(e.message);
    if (log.level === 'debug' && e.stack) log.debug(e.stack);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  log.error(
    `unexpected failure: ${err.message}${log.level === 'debug' ? '' : ' (run with -log-level debug for details)'}`,
  );
  if (log.level === 'debug' && err.stack) log.debug(err.stack);
  return 1;
}

/** Runs `phase` (or `lifecycle <phase>` when undefined) with `args`; sets process.exitCode. */
export function run(
  phase: string | undefined,
  args: readonly string[],
  runtime: Readonly<Record<string, string>> = {},
): void {
  main(phase, args, process.env, { out: process.stdout, err: process.stderr }, runtime).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`ERROR: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
