// The data-encryption key every test app runs with (startTestApp), so the factories can store
// secrets the way the app does (encrypted, bound to the account) and tests can read them back.
import { keyringFromKeys, type Keyring } from '../../server/crypto/keyring.ts';

export const TEST_DATA_ENCRYPTION_KEY = '7e57'.repeat(16);

let ring: Keyring | undefined;
export function testKeyring(): Keyring {
  ring ??= keyringFromKeys(Buffer.from(TEST_DATA_ENCRYPTION_KEY, 'hex'));
  return ring;
}

/** The config slice the app's secret helpers take, on the test key. */
export const testKeyConfig = {
  dataEncryption: { key: Buffer.from(TEST_DATA_ENCRYPTION_KEY, 'hex'), previousKeys: [] as Buffer[], keyFile: '/nonexistent/test-key-file' },
};
