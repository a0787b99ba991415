import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExtensionHistory } from './export-extended.ts';
import { extensionHistory } from './extend-run.ts';

describe('extension layer history (extender → exporter)', () => {
  it('reads back what the extender wrote, spaces and quotes included', () => {
    const text = extensionHistory("RUN echo 'a b' && rm -rf /x", 'io.example/ext');
    assert.deepEqual(parseExtensionHistory(text), {
      createdBy: "RUN echo 'a b' && rm -rf /x",
      extensionId: 'io.example/ext',
    });
  });
  it('falls back to "from extensions" for other texts, as the reference', () => {
    assert.deepEqual(parseExtensionHistory('RUN make'), {
      createdBy: 'RUN make',
      extensionId: 'from extensions',
    });
    assert.deepEqual(parseExtensionHistory(undefined), { createdBy: '', extensionId: 'from extensions' });
  });
});
