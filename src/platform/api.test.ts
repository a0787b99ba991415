import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiString,
  checkPlatformApi,
  DEPRECATED_PLATFORM_APIS,
  deprecationMode,
  featureVersions,
  parseApi,
  platformFeatures,
  SUPPORTED_PLATFORM_APIS,
} from './api.ts';
import { isLifecycleError } from './errors.ts';

const code = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isLifecycleError(e) ? e.exitCode : -1;
  }
};

describe('Platform API versions (platform.md "Platform API Compatibility")', () => {
  it('supports 0.7 through 0.15, none deprecated, as the reference', () => {
    assert.deepEqual(
      [...SUPPORTED_PLATFORM_APIS],
      ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12', '0.13', '0.14', '0.15'],
    );
    assert.deepEqual([...DEPRECATED_PLATFORM_APIS], []);
    for (const v of SUPPORTED_PLATFORM_APIS) assert.equal(apiString(checkPlatformApi(v)), v);
  });
  it('refuses other versions and an unset value with exit 11', () => {
    for (const v of ['0.6', '0.16', '1.0', '0.3', 'x', '', undefined])
      assert.equal(
        code(() => checkPlatformApi(v)),
        11,
        String(v),
      );
  });
  it('a deprecated version warns, is quiet, or fails with CNB_DEPRECATION_MODE (the reference messages)', () => {
    const warnings: string[] = [];
    const with_ = (mode: string | undefined) => ({
      mode: deprecationMode(mode),
      warn: (m: string) => warnings.push(m),
      deprecated: ['0.7'],
    });
    checkPlatformApi('0.7', with_(undefined));
    assert.deepEqual(warnings, ["Platform requested deprecated API '0.7'"]);
    checkPlatformApi('0.7', with_('quiet'));
    checkPlatformApi('0.8', with_('warn'));
    assert.equal(warnings.length, 1);
    assert.equal(
      code(() => checkPlatformApi('0.7', with_('error'))),
      11,
    );
  });
});

describe('platform feature predicates', () => {
  it('each predicate is monotonic over the supported versions (a feature starts or ends once)', () => {
    const all = SUPPORTED_PLATFORM_APIS.map((s) => parseApi(s)!);
    for (const [name, p] of Object.entries(platformFeatures)) {
      const flips = all.slice(1).filter((v, i) => p(v) !== p(all[i]!)).length;
      assert.ok(flips <= 1, name);
    }
  });
  it('featureVersions names the range for the docs', () => {
    assert.equal(featureVersions('runToml'), '0.12+');
    assert.equal(featureVersions('stackToml'), '0.7-0.11');
    assert.equal(featureVersions('insecureRegistryFlag'), '0.13+');
    assert.equal(featureVersions('extensionsExperimental'), '0.7-0.12');
    assert.equal(featureVersions('execEnv'), '0.15+');
  });
});
