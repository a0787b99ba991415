// toPhaseError: the one rule by which a phase re-raises a failure (docs/reference-behaviour.md §0.4; D-401).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError, LifecycleError, PHASE_ERRORS, toPhaseError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';

const inner = (exit: number) => new LifecycleError('ERR_TOML_PARSE', exit, 'group.toml: line 1: bad key');

describe('toPhaseError', () => {
  it('passes the caller errors (2, 3, 11, 12) and its own 62 through the exporter unchanged', () => {
    for (const exit of [2, 3, 11, 12, 62]) {
      const e = inner(exit);
      assert.equal(toPhaseError(e, 'export', 'failed to export'), e);
    }
  });

  it('re-raises anything else with the phase exit code, the inner code and `<context>: <message>`', () => {
    const e = toPhaseError(inner(ExitCode.restore), 'export', 'failed to export');
    assert.ok(isLifecycleError(e));
    assert.equal(e.exitCode, 62);
    assert.equal(e.code, 'ERR_TOML_PARSE');
    assert.equal(e.message, 'failed to export: group.toml: line 1: bad key');
    assert.equal((e as Error).cause instanceof LifecycleError, true);
  });

  it("gives a plain error the rule's code, and no prefix without a context", () => {
    const e = toPhaseError(new Error('disk full'), 'build');
    assert.ok(isLifecycleError(e));
    assert.deepEqual([e.code, e.exitCode, e.message], ['ERR_BUILD', 52, 'disk full']);
  });

  it("'specific' rules keep every code but the generic failure", () => {
    const api = inner(ExitCode.buildpackApi);
    assert.equal(toPhaseError(api, 'restore', 'failed to restore'), api);
    const failing = inner(ExitCode.buildpackBuild);
    assert.equal(toPhaseError(failing, 'build'), failing);
    const generic = toPhaseError(inner(ExitCode.failed), 'restore', 'failed to restore');
    assert.ok(isLifecycleError(generic));
    assert.equal(generic.exitCode, 42);
  });

  it('the detector keeps its initialisation failures generic (exit 1) and 12 as 12', () => {
    const e = toPhaseError(
      new Error('no such file'),
      'detectInit',
      'failed to initialize detector: reading order',
    );
    assert.ok(isLifecycleError(e));
    assert.deepEqual([e.exitCode, e.code], [1, 'ERR_DETECT_INIT']);
    const api = inner(12);
    assert.equal(toPhaseError(api, 'detectInit', 'x'), api);
  });

  it('the generator keeps only 91 and 92; a buildpack API error becomes 92', () => {
    const failed = inner(ExitCode.extensionGenerate);
    assert.equal(toPhaseError(failed, 'generate', 'failed to generate'), failed);
    const e = toPhaseError(inner(12), 'generate', 'failed to generate');
    assert.ok(isLifecycleError(e));
    assert.equal(e.exitCode, 92);
  });

  it('passes a cancellation through in every phase', () => {
    const abort = new DOMException('stopped', 'AbortError');
    for (const phase of Object.keys(PHASE_ERRORS) as (keyof typeof PHASE_ERRORS)[])
      assert.equal(toPhaseError(abort, phase, 'x'), abort);
  });
});
