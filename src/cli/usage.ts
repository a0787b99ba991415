import {
  type ApiVersion,
  type InputDef,
  isExperimentalAt,
  PHASE_DEFS,
  type PhaseName,
  phaseInputs,
} from '../platform/index.ts';

/** The `-help` text of a phase at a Platform API: usage line and every flag with its env var and default. */
export function usage(phase: PhaseName, api: ApiVersion): string {
  const def = PHASE_DEFS[phase];
  const seen = new Set<InputDef>();
  const rows: string[] = [];
  for (const [flag, d] of [...phaseInputs(phase, api)].sort(([a], [b]) => a.localeCompare(b))) {
    if (seen.has(d) || flag !== d.flag) continue;
    seen.add(d);
    const dflt =
      typeof d.default === 'object' ? d.default.doc : d.default === undefined ? '' : String(d.default);
    const arg = d.kind === 'bool' ? '' : ` <${d.flag}>`;
    rows.push(
      `  -${d.flag}${arg}\n      ${d.description}${isExperimentalAt(d, api) ? ' (experimental)' : ''}` +
        `${d.env ? `; env ${d.env}` : ''}${dflt ? `; default ${dflt}` : ''}`,
    );
  }
  return `Usage: ${def.usage}\n\nFlags:\n${rows.join('\n')}\n`;
}
