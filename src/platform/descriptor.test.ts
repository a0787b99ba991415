import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { SUPPORTED_BUILDPACK_APIS, SUPPORTED_PLATFORM_APIS } from './api.ts';
import {
  type LifecycleDescriptor,
  lifecycleDescriptor,
  lifecycleImageLabels,
  lifecycleToml,
  lowestApi,
  SBOM_FORMATS,
} from './descriptor.ts';
import { LIFECYCLE_VERSION } from './version.ts';

const sample: LifecycleDescriptor = {
  apis: {
    buildpack: { deprecated: [], supported: ['0.10', '0.9', '0.11'] },
    platform: { deprecated: ['0.7'], supported: ['0.13', '0.7', '0.12'] },
  },
  version: '1.2.3-x',
  sbomFormats: ['application/vnd.cyclonedx+json'],
};

describe("lifecycle descriptor (the reference packager's lifecycle.toml, tools/image labels; D-253)", () => {
  it('lowestApi compares versions numerically, not as text', () => {
    const cases: [string[], string][] = [
      [['0.10', '0.9', '0.11'], '0.9'],
      [['0.13', '0.7', '0.12'], '0.7'],
      [['1.0', '0.15'], '0.15'],
      [['0.12'], '0.12'],
    ];
    for (const [list, want] of cases) assert.equal(lowestApi(list), want, JSON.stringify(list));
    assert.throws(() => lowestApi([]), /empty/);
  });

  it('lifecycle.toml has [apis.buildpack], [apis.platform], the legacy [api] table, version and sbom-formats', () => {
    const doc = JSON.parse(JSON.stringify(parse(lifecycleToml(sample)))) as Record<string, unknown>;
    assert.deepEqual(doc['apis'], {
      buildpack: { deprecated: [], supported: ['0.10', '0.9', '0.11'] },
      platform: { deprecated: ['0.7'], supported: ['0.13', '0.7', '0.12'] },
    });
    assert.deepEqual(doc['api'], { platform: '0.7', buildpack: '0.9' });
    assert.deepEqual(doc['lifecycle'], {
      version: '1.2.3-x',
      'sbom-formats': ['application/vnd.cyclonedx+json'],
    });
  });

  it('labels: version, the [apis] table as JSON, and the legacy builder metadata with the lowest APIs', () => {
    const l = lifecycleImageLabels(sample);
    assert.equal(l['io.buildpacks.lifecycle.version'], '1.2.3-x');
    assert.deepEqual(JSON.parse(l['io.buildpacks.lifecycle.apis'] ?? ''), sample.apis);
    assert.deepEqual(JSON.parse(l['io.buildpacks.builder.metadata'] ?? ''), {
      lifecycle: { version: '1.2.3-x' },
      api: { buildpack: '0.9', platform: '0.7' },
    });
  });

  it("this lifecycle's descriptor comes from api.ts and version.ts", () => {
    const d = lifecycleDescriptor();
    assert.deepEqual(d.apis.platform.supported, [...SUPPORTED_PLATFORM_APIS]);
    assert.deepEqual(d.apis.buildpack.supported, [...SUPPORTED_BUILDPACK_APIS]);
    assert.equal(d.version, LIFECYCLE_VERSION);
    assert.deepEqual(d.sbomFormats, [...SBOM_FORMATS]);
  });
});
