/** User plugins import the SDK by the package's name; the subpath must resolve to the engine's SDK module. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sdk from '../../engine/sdk.ts';
import * as testing from '../../engine/sdk-testing.ts';

test('tradepipe/sdk and tradepipe/sdk/testing resolve to the SDK modules', async () => {
  const published = await import('tradepipe/sdk');
  assert.is(published.definePlugin, sdk.definePlugin);
  assert.is(published.parseCsv, sdk.parseCsv);
  const harness = await import('tradepipe/sdk/testing');
  assert.is(harness.runPlugin, testing.runPlugin);
});

test.run();
